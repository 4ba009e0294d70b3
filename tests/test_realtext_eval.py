"""The real-text evaluation (sims/data/evaluation.py) and the study's pieces: every set from installed package
data, one loader per format, coverage, malformed files as one-line errors; both PMIs; the stage cache."""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sims.data import evaluation
from sims.data.evaluation import (EVALUATION_SETS, SETS_BY_NAME, family_accuracy, load_set, load_sets,
                                  load_similarity, load_tsv_analogies, score_all, set_path)
from sims.pipelines.realtext import SIZES, SIZES_TEXT
from sims.pipelines.realtext.stages import StageCache, stage_key
from theory.target import PAPER_PMI_EPSILON, cooccurrence, pmi_paper, pmi_zero_filled
from theory.validation import InputError

pytest.importorskip("gensim")  # ships the Google set, WordSim-353 and SimLex-999

ROOT = Path(__file__).resolve().parents[1]
# Rows in each file (questions or pairs), as shipped.
ROWS = {"google": 19544, "msr": 8000, "ws353": 353, "ws353_sim": 202, "ws353_rel": 250, "simlex": 999,
        "men": 3000, "rw": 2032, "mturk": 285}


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an evaluation set tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_every_set_loads_from_package_data_without_network(no_network):
    assert [s.name for s in EVALUATION_SETS] == list(ROWS)
    for spec in EVALUATION_SETS:
        assert set_path(spec).is_file(), spec
        loaded = load_set(spec, {})
        assert loaded.total == ROWS[spec.name], spec.name
        assert len(loaded) == 0  # nothing is in an empty vocabulary


def test_shipped_files_are_package_data_with_their_origin_named():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["sims.data"]
    assert "evaluation_sets/*.tsv" in patterns and "evaluation_sets/README.md" in patterns
    readme = (ROOT / "sims/data/evaluation_sets/README.md").read_text()
    for spec in EVALUATION_SETS:
        if spec.origin == "package":
            assert f"`{spec.file}`" in readme, spec.file
    assert "BSD-2-Clause" in readme and (ROOT / "sims/data/evaluation_sets/LICENSE.hyperhyper").is_file()


def test_coverage_counts_rows_fully_in_vocabulary():
    index = {w: i for i, w in enumerate(["tiger", "cat", "love", "sex", "athens", "greece", "baghdad", "iraq"])}
    google = load_set("google", index)
    # athens:greece::baghdad:iraq and its reverse (capital-common-countries), and once more in capital-world.
    assert len(google) == 3 and list(google.sections) == ["capital-common-countries"] * 2 + ["capital-world"]
    ws = load_set("ws353", index)
    assert len(ws) == 3 and ws.total == 353   # love-sex, tiger-cat and WordSim's self-pair tiger-tiger
    assert {tuple(p) for p in ws.ids} == {(0, 1), (2, 3), (0, 0)}
    # Case is folded: WordSim's relatedness split spells "Jerusalem", "Israel".
    rel = load_set("ws353_rel", {"jerusalem": 0, "israel": 1})
    assert len(rel) == 1 and rel.human[0] == pytest.approx(8.46)


def test_scores_and_families_on_a_planted_embedding():
    """An embedding built so that b - a + c = d exactly answers every in-vocabulary question."""
    words = ["athens", "greece", "baghdad", "iraq", "boy", "girl", "brother", "sister", "noise"]
    index = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(0)
    country, female = rng.standard_normal(16), rng.standard_normal(16)
    base = {w: rng.standard_normal(16) for w in ("athens", "baghdad", "boy", "brother", "noise")}
    vectors = {**base, "greece": base["athens"] + 4 * country, "iraq": base["baghdad"] + 4 * country,
               "girl": base["boy"] + 4 * female, "sister": base["brother"] + 4 * female}
    w = np.array([vectors[x] for x in words])
    loaded = load_sets(index, ["google", "ws353"])
    cells = score_all(w, loaded)
    families = cells["google"]["families"]
    assert families["family"]["covered"] > 0 and families["capital-common-countries"]["covered"] > 0
    assert {"semantic", "syntactic"} <= set(families) or "syntactic" not in families
    assert cells["google"]["covered"] == len(loaded["google"])
    fam = family_accuracy(w, loaded["google"])
    assert all(0.0 <= acc <= 1.0 for acc, _ in fam.values())


@pytest.mark.parametrize("content, message", [
    ("word1\tword2\tscore\ncat\tdog\n", "line 2: expected 3"),
    ("cat\tdog\tvery\n", "line 1: score 'very' is not a number"),
    ("# only a comment\n", "no word pairs"),
    ("cat\tdog\tnan\n", "finite score"),
])
def test_malformed_similarity_file_is_one_line_error(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        load_similarity(path, {})
    assert "\n" not in str(info.value) and "bad.tsv" in str(info.value)


@pytest.mark.parametrize("loader, content, message", [
    (load_tsv_analogies, "a\ta_prime\tb\tb_prime\ngood\tbetter\trough\n", "line 2: expected 4"),
    (evaluation.load_sectioned_analogies, ": family\nboy girl brother\n", "line 2: an analogy needs 4 words"),
    (evaluation.load_sectioned_analogies, "", "no analogy questions"),
])
def test_malformed_analogy_file_is_one_line_error(tmp_path, loader, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        loader(path, {})
    assert "\n" not in str(info.value)


def test_missing_or_undecodable_set_is_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluation, "package_data", lambda name: tmp_path / name)
    with pytest.raises(InputError, match="does not exist"):
        load_sets({}, ["men"])
    (tmp_path / "bruni_men.tsv").write_bytes(b"caf\xe9\tx\t1\n")
    with pytest.raises(InputError, match="UTF-8"):
        load_sets({}, ["men"])
    with pytest.raises(InputError, match="unknown evaluation set"):
        load_sets({}, ["nope"])


def test_both_pmis_as_defined():
    counts = np.array([[0.0, 4.0, 1.0], [4.0, 2.0, 0.0], [1.0, 0.0, 6.0]])
    stats = cooccurrence(counts)
    ratio = stats.joint / stats.independent
    paper = pmi_paper(stats)
    np.testing.assert_allclose(paper, np.log(ratio + PAPER_PMI_EPSILON), rtol=0, atol=1e-12)
    assert np.all(np.isfinite(paper))
    assert paper[0, 0] == pytest.approx(np.log(PAPER_PMI_EPSILON))   # unseen: ln(1e-25) = -57.6
    zero = pmi_zero_filled(stats)
    assert zero[0, 0] == 0.0 and zero[1, 2] == 0.0
    seen = counts > 0
    np.testing.assert_allclose(zero[seen], np.log(ratio[seen]), rtol=1e-12)
    np.testing.assert_allclose(paper[seen], zero[seen], rtol=1e-12)   # 1e-25 is invisible where P_ij > 0


def test_parse_models_and_sizes():
    from sims.pipelines.realtext.run import COUNT_MODELS, MODELS, parse_models, parse_sizes

    assert parse_models(None) == MODELS and parse_models("all") == MODELS
    assert parse_models("count") == COUNT_MODELS
    assert parse_models("word2vec,closed-form,pmi-paper") == ("pca_mstar", "pca_pmi_paper", "word2vec")
    assert parse_models("glove,glove-closed-form") == ("glove_closed_form", "glove")
    with pytest.raises(InputError, match="unknown model"):
        parse_models("fasttext")
    assert parse_sizes("1/8,1/4,1/2,1") == (0.125, 0.25, 0.5, 1.0)
    assert parse_sizes(SIZES_TEXT) == SIZES == parse_sizes(None)  # the --sizes default is the study's
    assert parse_sizes("none") == (1.0,) and parse_sizes("0.5") == (0.5, 1.0)
    for bad in ("2", "0", "x", "1/0"):
        with pytest.raises(InputError):
            parse_sizes(bad)


def test_stage_cache_round_trip_validation_and_atomicity(tmp_path):
    cache = StageCache(tmp_path)
    key = stage_key("spectrum", counts="abc", matrix="mstar", k=3)
    expect = {"values": ("f", (3,)), "vectors": ("f", (5, 3))}
    assert cache.load("spectrum", key, expect) is None
    cache.store("spectrum", key, {"values": np.arange(3.0), "vectors": np.ones((5, 3))})
    assert [p.name for p in tmp_path.iterdir()] == [f"spectrum-{key}.npz"]  # no temporary left behind
    hit = cache.load("spectrum", key, expect)
    np.testing.assert_array_equal(hit["values"], np.arange(3.0))
    # Wrong shape expected, another key stored under this name, a corrupt file: all treated as absent.
    assert cache.load("spectrum", key, {"values": ("f", (4,))}) is None
    other = stage_key("spectrum", counts="abc", matrix="mstar", k=4)
    cache.path("spectrum", key).rename(cache.path("spectrum", other))
    assert cache.load("spectrum", other, expect) is None
    cache.path("spectrum", other).write_bytes(b"not an npz")
    assert cache.load("spectrum", other, expect) is None
    cache.store("bad", key, {"values": np.array([np.nan, 1.0, 2.0])})
    assert cache.load("bad", key, {"values": ("f", (3,))}) is None          # non-finite values are not trusted
    assert StageCache(tmp_path, enabled=False).load("spectrum", key, expect) is None


def test_cache_file_with_another_key_is_recounted(tmp_path, monkeypatch):
    """sims.corpus's cache uses the counts-file format with its key inside: a renamed or edited file is recounted."""
    from sims.corpus import cache_path, corpus_statistics
    from sims.data.counts_file import load_counts

    monkeypatch.setenv("W2V_THEORY_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "c.txt"
    path.write_text("the cat sat on the mat\nthe dog sat\n")
    first = corpus_statistics(path, 3, 2)
    (cached,) = (tmp_path / "cache").glob("cooc-*.npz")
    assert load_counts(cached).counts.shape == (3, 3)          # `w2v-theory count`'s format
    other = corpus_statistics(path, 3, 3)
    (tmp_path / "cache" / cached.name).unlink()
    # Put the L = 3 file where the L = 2 entry belongs: its stored key differs, so it is not trusted.
    import hashlib
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    where3, _ = cache_path(digest, 3, 3, tmp_path / "cache")
    where2, _ = cache_path(digest, 3, 2, tmp_path / "cache")
    where3.rename(where2)
    again = corpus_statistics(path, 3, 2)
    assert not again.cached and np.array_equal(again.counts, first.counts)
    assert not np.array_equal(other.counts, first.counts)


def test_rank_sweep_truncates_the_closed_form(tmp_path):
    from sims.pipelines.realtext.run import _rank_sweep, pca_embeddings, rank_columns
    from theory.spectrum import top_eigenpairs

    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 40))
    spectrum = top_eigenpairs(x + x.T, 6)
    words = ["tiger", "cat", "love", "sex", "athens", "greece", "baghdad", "iraq"] + [f"w{i}" for i in range(32)]
    loaded = load_sets({w: i for i, w in enumerate(words)}, ["google", "ws353"])
    columns = rank_columns(loaded)
    rank = _rank_sweep(spectrum, 5, loaded, columns, {})
    assert rank["k"] == [1, 2, 3, 4, 5] and len(rank["closed_form"]) == 5
    from sims.pipelines.realtext.run import rank_grid
    grid = rank_grid(200)
    assert grid[:40] == list(range(1, 41)) and grid[-1] == 200 and grid == sorted(set(grid))
    assert columns[0] == "google" and any(c.startswith("google:") for c in columns)
    full = pca_embeddings(spectrum, 5)
    assert full.shape == (40, 5)
    ws = columns.index("ws353")
    expected = score_all(full, {"ws353": loaded["ws353"]})["ws353"]["score"]
    assert rank["closed_form"][-1][ws] == pytest.approx(expected, abs=1e-6)


def test_sets_metadata_is_consistent():
    for spec in EVALUATION_SETS:
        assert SETS_BY_NAME[spec.name] is spec
        assert spec.kind in ("analogy", "similarity")
        assert spec.format in evaluation.LOADERS
