"""The real-text pipeline (THEORY §5): the analogy and similarity protocol, the PMI convention, the study's entry
point and its SGNS trainer.

Its claims (RT-ID, RT-QWEM) are tests/claims/test_s5_realtext.py, the conjecture RT-PMI is
tests/conjectures/test_realtext_pmi.py (registry: sims/claims/definitions/s5_realtext.py).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sims.corpus import corpus_statistics
from sims.data.evaluation import (AnalogyQuestions, SimilarityPairs, analogy_accuracy, analogy_predictions,
                             load_analogies, load_wordsim, unit_rows, wordsim_spearman)
from sims.pipelines.realtext.run import pmi_zero_filled, run_study
from sims.claims.recording import assert_within
from theory.target import pmi, target_matrix


WINDOW = 16


@functools.lru_cache(maxsize=4)
def lee(vocab: int):
    """Counts of gensim's Lee background corpus (60k tokens of news) at vocabulary size `vocab`."""
    return corpus_statistics(None, vocab, WINDOW, cache=False)


def test_analogy_blocks_match_per_question_loop(rng):
    """The blocked 3CosAdd equals a plain loop over questions (query words excluded)."""
    embeddings = rng.standard_normal((40, 6))
    ids = np.array([rng.choice(40, 4, replace=False) for _ in range(70)])
    questions = AnalogyQuestions(ids, np.array(["s"] * 70), 70)
    unit = unit_rows(embeddings)
    expected = []
    for a, b, c, _ in ids:
        scores = unit @ (unit[b] - unit[a] + unit[c])
        scores[[a, b, c]] = -np.inf
        expected.append(int(np.argmax(scores)))
    assert np.array_equal(analogy_predictions(embeddings, questions, block=16), expected)
    assert analogy_accuracy(embeddings, questions) == pytest.approx(np.mean(np.array(expected) == ids[:, 3]))


def test_analogy_excludes_query_words_and_normalises():
    """king - man + woman lands on 'king' itself unless query words are excluded; long vectors do not win."""
    vocab = {"man": 0, "woman": 1, "king": 2, "queen": 3, "long": 4}
    w = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0], [0.05, 0.2, 0.98], [0.0, 100.0, 1.0]])
    questions = AnalogyQuestions(np.array([[0, 1, 2, 3]]), np.array(["family"]), 1)
    assert analogy_accuracy(w, questions) == 1.0
    assert analogy_accuracy(w, AnalogyQuestions(np.zeros((0, 4), dtype=np.int64), np.array([]), 0)) is None
    assert len(load_analogies({"athens": 0, "greece": 1})) == 0
    assert load_analogies(vocab).total > 19000


def test_wordsim_spearman_on_constructed_pairs():
    angles = np.linspace(0.1, 1.5, 6)
    w = np.vstack([[1.0, 0.0]] + [[np.cos(a), np.sin(a)] for a in angles])
    pairs = SimilarityPairs(np.array([[0, i + 1] for i in range(6)]), 10 - angles, 6)
    assert wordsim_spearman(w, pairs) == pytest.approx(1.0)
    assert wordsim_spearman(w, SimilarityPairs(pairs.ids[:2], pairs.human[:2], 2)) is None
    assert len(load_wordsim({"love": 0, "sex": 1})) == 1


def test_pmi_convention_zero_where_unseen():
    stats = lee(120).cooccurrence()
    filled = pmi_zero_filled(stats)
    assert np.all(np.isfinite(filled))
    assert np.all(filled[stats.joint == 0] == 0)
    seen = stats.joint > 0
    assert np.array_equal(filled[seen], pmi(stats)[seen])


@pytest.mark.parametrize("trainer", ["auto", "sgd", "pairs"])
def test_run_study_quick_smoke(tmp_path, trainer):
    """The report's entry point: every row scored, figures written, JSON-able summary with the agreed keys; "auto"
    is full-batch GD on the CPU; every trained row reports its modes past half height and all-mode overlap."""
    import json

    summary = run_study(None, vocab=120, dim=5, window=WINDOW, out_dir=tmp_path / "out", seed=0, device="cpu",
                        quick=True, trainer=trainer, cache_folder=tmp_path / "cache")
    assert summary["training"]["method"] == ("gd" if trainer == "auto" else trainer)
    assert set(summary["training"]["final_effective_rank"]) == {"qwem", "sgns"}
    assert set(summary["overlap_all_modes"]) >= {"qwem", "sgns", "pca_ppmi"}
    assert "| trained row | modes past half height at the end |" in summary["markdown"]
    assert "realtext_dynamics.png" in summary["figures"]
    json.dumps(summary)
    for key in ("corpus", "tokens", "vocab", "dim", "window", "questions", "analogy", "wordsim", "overlap",
                "top_words", "timings", "figures", "markdown"):
        assert key in summary
    assert set(summary["analogy"]) == {"pca_mstar", "pca_ppmi", "pca_pmi", "pca_pmi_paper", "qwem", "sgns", "word2vec",
                                       "glove_closed_form", "glove"}
    assert summary["glove"]["steps"] > 0 and "GloVe (sims.simulators.glove" in summary["markdown"]
    assert summary["vocab"] == 120 and summary["dim"] == 5
    for name in summary["figures"]:
        assert (tmp_path / "out" / name).stat().st_size > 1000
    assert "realtext_overlap.png" in summary["figures"] and "| PCA of M* (closed form) |" in summary["markdown"]


def test_sgns_flow_gradient_is_the_expected_sgns_gradient(rng):
    """The full-batch SGNS trainer's gradient (run_gd's loss="sgns") equals central differences of
    theory.losses.sgns_loss (Setting 3.1): its step W <- W - lr/2 (buffer) means grad L = buffer / 2."""
    import torch

    from sims.simulators.gd import GD_LOSSES
    from theory.losses import sgns_loss
    from theory.target import setting31_weights

    stats = lee(120).cooccurrence()
    psi = setting31_weights(stats)
    w = 0.3 * rng.standard_normal((120, 4))
    target = torch.as_tensor(target_matrix(stats))
    state = GD_LOSSES["sgns"](target, torch.as_tensor(w), lr=1.0)
    state.prepare()
    gradient = 0.5 * state.gradient.numpy()
    eps = 1e-5
    for _ in range(3):
        direction = rng.standard_normal(w.shape)
        numeric = (sgns_loss(w + eps * direction, stats, psi, psi)
                   - sgns_loss(w - eps * direction, stats, psi, psi)) / (2 * eps)
        assert_within(abs(numeric - np.vdot(gradient, direction)), "finite_difference",
                      scale=np.linalg.norm(gradient) * np.linalg.norm(direction),
                      predicted=numeric, measured=np.vdot(gradient, direction), what="<grad L_sgns, D>")


def test_spectrum_stage_is_float64_from_its_size_on(tmp_path, monkeypatch):
    """Below FLOAT64_FROM_SIZE a float32 stage is the float32 solve (keyed as such); from it on, the float64 one."""
    from sims.pipelines.realtext import run
    from sims.pipelines.realtext.stages import StageCache
    from theory import topk
    from theory.spectrum import top_eigenpairs

    stats = lee(120).cooccurrence()
    float64 = top_eigenpairs(target_matrix(stats), 9)
    float32 = topk.top_eigenpairs(target_matrix(stats), 9, method="float32")
    below = run.spectrum_stage(stats, "mstar", 9, "k", StageCache(tmp_path / "below"), "float32")
    monkeypatch.setattr(run, "FLOAT64_FROM_SIZE", 120)
    above = run.spectrum_stage(stats, "mstar", 9, "k", StageCache(tmp_path / "from"), "float32")
    assert not np.array_equal(float32.eigenvectors, float64.eigenvectors), "the two solves are told apart"
    assert np.array_equal(below.eigenvectors, float32.eigenvectors)
    assert np.array_equal(above.eigenvectors, float64.eigenvectors)
