"""`w2v-theory realtext`: the real-text study as its own command; stages cached and reused; --counts; bad input
is one line, exit 2, nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sims.pipelines.realtext import SIZES
from tests.cli_support import TEXT_SOURCE_BAD_INPUTS, run_cli

pytest.importorskip("gensim")  # ships the corpus and three of the evaluation sets

SMALL = ["--vocab", "300", "--dim", "8", "--window", "5", "--quick", "--no-progress"]


@pytest.fixture
def lee():
    from sims.corpus import default_corpus

    return default_corpus()


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("W2V_THEORY_CACHE", str(tmp_path / "cache"))


def test_count_rows_then_rerun_reuses_every_stage(tmp_path, lee):
    out = tmp_path / "study"
    code, stdout, stderr = run_cli("realtext", lee, *SMALL, "--models", "count", "--out", out)
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"] == ["pca_mstar", "pca_ppmi", "pca_pmi", "pca_pmi_paper"]
    assert set(summary["coverage"]) == {"google", "msr", "ws353", "ws353_sim", "ws353_rel", "simlex", "men", "rw",
                                        "mturk"}
    assert [p["fraction"] for p in summary["size_sweep"]] == list(SIZES)
    for name in ("realtext_scores.png", "realtext_corpus_size.png", "realtext_rank.png", "report.md"):
        assert (out / name).stat().st_size > 1000, name
    report = (out / "report.md").read_text()
    assert "PCA of PMI + 1e-25 inside the log (paper's)" in report and "*coverage*" in report
    assert "PCA of M* (closed form)" in stdout and "coverage" in stdout
    assert summary["timings"]["cache_misses"] > 0
    code, stdout, stderr = run_cli("realtext", lee, *SMALL, "--models", "count", "--out", out)
    assert code == 0, stderr
    again = json.loads((out / "summary.json").read_text())
    # Per corpus size (the whole corpus included): its counts and its four spectra.
    assert again["timings"]["cache_misses"] == 0 and again["timings"]["cache_hits"] >= (1 + 4) * len(SIZES)
    assert again["scores"] == summary["scores"]


def test_trained_rows_are_cached_and_scored_along_rank(tmp_path, lee):
    out = tmp_path / "study"
    args = ["realtext", lee, *SMALL, "--models", "closed-form,qwem,word2vec,glove", "--sizes", "none", "--device",
            "cpu", "--out", out]
    code, _, stderr = run_cli(*args)
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scores"]["qwem"]["google"]["covered"] == summary["coverage"]["google"]["covered"]
    rank = summary["rank_sweep"]
    assert rank["k"] == list(range(1, 9)) and len(rank["qwem"]["rank"]) == len(rank["qwem"]["scores"]) > 10
    assert summary["size_sweep"] == []
    assert (out / "realtext_dynamics.png").is_file()
    code, _, stderr = run_cli(*args)
    assert code == 0, stderr
    again = json.loads((out / "summary.json").read_text())
    assert again["timings"]["cache_misses"] == 0
    assert again["scores"]["qwem"] == summary["scores"]["qwem"]
    assert again["scores"]["word2vec"] == summary["scores"]["word2vec"]
    assert again["scores"]["glove"] == summary["scores"]["glove"] and again["glove"] == summary["glove"]


def test_counts_file_in_place_of_a_corpus(tmp_path, lee):
    counts = tmp_path / "lee.npz"
    code, _, stderr = run_cli("count", lee, "--vocab", 300, "--window", 5, "--out", counts, "--workers", 1,
                              "--no-progress")
    assert code == 0, stderr
    out = tmp_path / "from-counts"
    code, stdout, stderr = run_cli("realtext", "--counts", counts, "--dim", 8, "--quick", "--no-progress",
                                   "--models", "closed-form,ppmi,word2vec", "--out", out)
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["vocab"] == 300 and summary["window"] == 5
    assert summary["scores"]["word2vec"] is None and any("word2vec needs the corpus" in n for n in summary["notes"])
    # The same counts as counting the corpus: the same closed-form scores.
    corpus_out = tmp_path / "from-corpus"
    code, _, stderr = run_cli("realtext", lee, *SMALL, "--models", "closed-form", "--sizes", "none",
                              "--out", corpus_out)
    assert code == 0, stderr
    direct = json.loads((corpus_out / "summary.json").read_text())
    assert direct["scores"]["pca_mstar"] == summary["scores"]["pca_mstar"]


def test_report_takes_a_counts_file(tmp_path, lee):
    """`report --counts FILE.npz` runs the real-text study from the file (the same closed-form scores as `realtext
    --counts`); a --vocab that contradicts the file is one line, exit 2, nothing written."""
    counts = tmp_path / "lee.npz"
    assert run_cli("count", lee, "--vocab", 300, "--window", 5, "--out", counts, "--no-progress")[0] == 0
    out = tmp_path / "report"
    code, _, stderr = run_cli("report", "--quick", "--methods", "ode", "--counts", counts, "--dim", 8,
                              "--no-progress", "--out", out)
    assert code == 0, stderr
    realtext = json.loads((out / "summary.json").read_text())["real_text"]
    assert realtext["vocab"] == 300 and realtext["window"] == 5
    study = tmp_path / "study"
    code, _, stderr = run_cli("realtext", "--counts", counts, "--dim", 8, "--quick", "--no-progress",
                              "--models", "closed-form", "--out", study)
    assert code == 0, stderr
    assert json.loads((study / "summary.json").read_text())["scores"]["pca_mstar"] == realtext["scores"]["pca_mstar"]
    code, _, stderr = run_cli("report", "--quick", "--counts", counts, "--vocab", 200, "--out", tmp_path / "bad")
    assert code == 2 and "differs from the counts file" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()


def _bad_counts(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, counts=np.ones((3, 3)))
    return path


@pytest.mark.parametrize("args, message", [
    *TEXT_SOURCE_BAD_INPUTS,
    (["{lee}", "--models", "fasttext"], "unknown model"),
    (["{lee}", "--sizes", "2"], "--sizes"),
    (["{lee}", "--vocab", "1"], "--vocab"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, lee, args, message):
    names = dict(missing=tmp_path / "nope.txt", missing_npz=tmp_path / "nope.npz", bad_npz=_bad_counts(tmp_path),
                 lee=lee)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("realtext", *[a.format(**names) for a in args], "--out", out, "--no-progress")
    assert code == 2, stderr
    assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()


def test_missing_evaluation_file_is_one_line_and_writes_nothing(tmp_path, lee, monkeypatch):
    from sims.data import evaluation

    monkeypatch.setattr(evaluation, "package_data", lambda name: tmp_path / "gone" / name)
    out = tmp_path / "out"
    code, _, stderr = run_cli("realtext", lee, *SMALL, "--models", "count", "--out", out)
    assert code == 2 and "does not exist" in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_help_names_every_row_and_stage_times():
    code, stdout, _ = run_cli("realtext", "--help")
    assert code == 0
    for row in ("closed-form", "ppmi", "pmi ", "pmi-paper", "qwem", "sgns", "word2vec"):
        assert row in stdout, row
    assert "V = 5000" in stdout and "V = 10000" in stdout and "#TIMINGS#" not in stdout
