"""The paper's ablation: word2vec's Psi (theory.target.word2vec_psi), full-batch GD on the weighted population loss
(sims.simulators.gd, `weight`), the pipeline (sims.pipelines.ablation) and `w2v-theory ablation`'s contract.

Its conjectures (C-ABLATION-SETTING31, -SYNTHETIC) are tests/conjectures/test_ablation.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sims.data.synthetic import planted_joint, zipf_unigram
from sims.simulators.gd import WEIGHTED_LOSSES, run_gd
from tests.cli_support import TEXT_SOURCE_BAD_INPUTS, assert_finite_file, run_cli
from theory.losses import qwem_loss, sgns_loss
from theory.predictions import closed_form, random_init
from theory.target import (WORD2VEC_SUBSAMPLING, cooccurrence, mean_weight, setting31_weights, target_matrix,
                           weight_matrix, word2vec_psi)
from theory.validation import InputError


def _stats(size=20, exponent=1.0, seed=3):
    return cooccurrence(planted_joint(zipf_unigram(size, exponent), [1.5, 0.7, 0.3], seed))


def test_word2vec_psi_is_theory_s7():
    """a_i = min(1, sqrt(t/P) + t/P), n_j = P^(-1/4), each mean 1; Psi+ = a a^T, Psi- = k (a n^T + n a^T) / 2."""
    stats = _stats()
    p = stats.unigram
    psi_pos, psi_neg = word2vec_psi(stats, negatives=3.0)
    a = np.minimum(1.0, np.sqrt(WORD2VEC_SUBSAMPLING / p) + WORD2VEC_SUBSAMPLING / p)
    a /= a.mean()
    n = p ** -0.25 / np.mean(p ** -0.25)
    assert np.allclose(psi_pos, np.outer(a, a), rtol=1e-14, atol=0)
    assert np.allclose(psi_neg, 1.5 * (np.outer(a, n) + np.outer(n, a)), rtol=1e-14, atol=0)
    assert np.array_equal(psi_pos, psi_pos.T) and np.array_equal(psi_neg, psi_neg.T)
    # The form psi_weights / target_matrix take; G is not constant (no closed form), unlike Setting 3.1's.
    g = weight_matrix(stats, psi_pos, psi_neg)
    assert np.ptp(g) > 0.1 * g.mean()
    psi31 = setting31_weights(stats)
    assert np.ptp(weight_matrix(stats, psi31, psi31)) <= 1e-12
    # A rare word (P_i < t) is kept with probability 1 (capped) before the normalisation.
    rare = cooccurrence(np.full((4, 4), 1.0), unigram=np.array([1.0, 1.0, 1.0, 1e-6]))
    keep = np.sqrt(word2vec_psi(rare)[0].diagonal())
    ratio = WORD2VEC_SUBSAMPLING * (3 + 1e-6)  # t / P_i of the frequent words, P_i = 1 / (3 + 1e-6)
    assert keep[3] / keep[0] == pytest.approx(1.0 / (np.sqrt(ratio) + ratio), rel=1e-12)
    with pytest.raises(InputError):
        word2vec_psi(stats, t=0.0)


@pytest.mark.parametrize("loss", ["qwem", "sgns"])
def test_weighted_gd_under_setting31_is_todays_map(loss):
    """With Setting 3.1's G (constant) the weighted map is GradientDescent's / SgnsGradientDescent's, to rounding."""
    stats = _stats()
    prediction = closed_form(target_matrix(stats), 3)
    w0 = random_init(20, 3, 1e-3, 0)
    psi = setting31_weights(stats)
    plain = run_gd(prediction, w0, 0.05, 300, loss=loss, record_every=10)
    for weight in (np.ones((20, 20)), weight_matrix(stats, psi, psi)):
        weighted = run_gd(prediction, w0, 0.05, 300, loss=loss, record_every=10, weight=weight)
        assert np.max(np.abs(weighted.embeddings - plain.embeddings)) <= 1e-12 * np.max(np.abs(plain.embeddings))
        assert np.array_equal(weighted.times, plain.times)
        assert np.allclose(weighted.overlap, plain.overlap, atol=1e-12)
        assert weighted.method == ("gd-weighted" if loss == "qwem" else "gd-sgns-weighted")
        assert not weighted.converged and "no closed-form" in weighted.extra["reason"]


@pytest.mark.parametrize("loss", ["qwem", "sgns"])
def test_weighted_gradient_is_the_population_loss_gradient(rng, loss):
    """dW/dt of a step = -(1/(2g)) grad L_qwem and -(1/g) grad L_sgns under word2vec's Psi (g = mean G): central
    differences of theory.losses on random directions."""
    stats = _stats()
    psi_pos, psi_neg = word2vec_psi(stats)
    g = mean_weight(stats, psi_pos, psi_neg)
    target = target_matrix(stats, psi_pos, psi_neg)
    weight = weight_matrix(stats, psi_pos, psi_neg) / g
    w = 0.3 * rng.standard_normal((20, 4))
    state = WEIGHTED_LOSSES[loss](torch.as_tensor(target), torch.as_tensor(w), 1.0, torch.as_tensor(weight))
    state.prepare()
    flow = -0.5 * state.gradient.numpy()   # W <- W + lr * flow
    f, factor = (qwem_loss, 0.5 / g) if loss == "qwem" else (sgns_loss, 1.0 / g)
    eps = 1e-6
    for _ in range(3):
        d = rng.standard_normal(w.shape)
        numeric = (f(w + eps * d, stats, psi_pos, psi_neg) - f(w - eps * d, stats, psi_pos, psi_neg)) / (2 * eps)
        assert -np.vdot(flow, d) == pytest.approx(factor * numeric, rel=1e-6, abs=1e-9 * np.linalg.norm(flow))


def test_run_gd_validates_the_weight():
    stats = _stats()
    prediction = closed_form(target_matrix(stats), 2)
    w0 = random_init(20, 2, 1e-3, 0)
    bad = {"shape": np.ones((19, 19)), "negative": -np.ones((20, 20)), "asymmetric": np.triu(np.ones((20, 20))),
           "zero": np.zeros((20, 20)), "nan": np.full((20, 20), np.nan)}
    for weight in bad.values():
        with pytest.raises(InputError):
            run_gd(prediction, w0, 0.05, 10, weight=weight)
    with pytest.raises(InputError, match="target applies only with weight"):
        run_gd(prediction, w0, 0.05, 10, target=prediction.target)
    with pytest.raises(InputError):
        run_gd(prediction, w0, 0.05, 10, weight=np.ones((20, 20)), target=np.ones((20, 19)))


def test_ablation_pipeline_writes_its_outputs(tmp_path):
    """Four runs from one W(0): figures, summary, trajectories, report; the same seed gives the same numbers."""
    from sims.pipelines.ablation.run import RUNS, run_ablation, train_ablation

    stats = _stats(30, 1.0, 1)
    summary = run_ablation(stats, [f"w{i}" for i in range(30)], 3, 0, tmp_path, quick=True)
    assert set(summary["runs"]) == {name for name, _, _ in RUNS}
    for name in ("ablation_dynamics.png", "ablation_overlap.png", "summary.json", "report.md", "trajectories.npz"):
        assert (tmp_path / name).stat().st_size > 500, name
        assert_finite_file(tmp_path / name)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["conjecture"]["compared_steps"] >= 1 and "markdown" not in written
    assert "| QWEM (quartic), Setting 3.1 Ψ |" in (tmp_path / "report.md").read_text()
    again = train_ablation(stats, 3, 0, quick=True)
    for name, run in again.runs.items():
        assert run.step_overlaps.tolist() == pytest.approx(summary["runs"][name]["step_overlaps"], abs=1e-12)
    # The same W(0) for all four: the records at t = 0 agree.
    first = [run.result.singular_values[0] for run in again.runs.values()]
    assert all(np.array_equal(first[0], s) for s in first)


def test_ablation_on_counts_names_words(tmp_path):
    from sims.corpus import default_corpus
    from sims.data.counting import count_corpus

    out = tmp_path / "abl"
    counted = count_corpus(default_corpus(), 120, 5)
    code, stdout, stderr = run_cli("ablation", default_corpus(), "--vocab", 120, "--dim", 4, "--quick", "--no-progress",
                                   "--out", out)
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["vocab"] == 120 and summary["window"] == 16 and "C-ABLATION-SETTING31 on this run" in stdout
    assert set(summary["top_words_mstar"]["v1"]["positive"]) <= set(counted.vocab)
    assert set(summary["runs"]["qwem-w2v"]["top_words"]) == {"u1", "u2", "u3"}
    # From a counts file: same statistics when the window matches.
    from sims.data.counts_file import save_counts

    save_counts(tmp_path / "c.npz", count_corpus(default_corpus(), 120, 16))
    code, _, stderr = run_cli("ablation", "--counts", tmp_path / "c.npz", "--dim", 4, "--quick", "--no-progress",
                              "--out", tmp_path / "from-counts")
    assert code == 0, stderr
    again = json.loads((tmp_path / "from-counts" / "summary.json").read_text())
    assert again["runs"]["qwem-s31"]["step_overlaps"] == summary["runs"]["qwem-s31"]["step_overlaps"]


@pytest.mark.parametrize("args, message", [
    *TEXT_SOURCE_BAD_INPUTS,
    (["{lee}", "--vocab", "1"], "--vocab"),
    (["{lee}", "--vocab", "100000"], "exceeds"),
    (["{lee}", "--seed", "-1"], "--seed"),
    (["{small}", "--vocab", "50"], "distinct words"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    from sims.corpus import default_corpus

    bad = tmp_path / "bad.npz"
    np.savez(bad, counts=np.ones((3, 3)))
    (tmp_path / "small.txt").write_text("a b c\nd e\n")
    names = dict(missing=tmp_path / "nope.txt", missing_npz=tmp_path / "nope.npz", bad_npz=bad, lee=default_corpus(),
                 small=tmp_path / "small.txt")
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("ablation", *[a.format(**names) for a in args], "--out", out, "--no-progress")
    assert code == 2, stderr
    assert message in stderr and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_unlearnable_corpus_is_refused_and_writes_nothing(tmp_path):
    """Counting succeeds but M* has no positive eigenvalue among the top d: exit 2 inside the staged output."""
    (tmp_path / "c.txt").write_text("the cat sat on the mat\nthe dog sat on the log\n")
    code, _, stderr = run_cli("ablation", tmp_path / "c.txt", "--vocab", 5, "--dim", 2, "--quick", "--no-progress",
                              "--out", tmp_path / "new" / "out")
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and "no positive eigenvalue" in stderr, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]
