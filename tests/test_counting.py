"""Streaming, parallel counting (RT-COUNT-STREAM, RT-COUNT-PARTITION; registry:
sims/claims/definitions/s1_streaming.py): equal to sims.corpus bit for bit, whatever the partitioning.

Also the .npz counts file (round trip; every defect a one-line InputError) and `w2v-theory count`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.s1_streaming import PartitionCase, StreamCase
from sims.claims.recording import check_claim
from sims.corpus import corpus_statistics
from sims.data.counting import count_corpus
from sims.data.counts_file import load_counts, save_counts
from tests.cli_support import run_cli
from theory.validation import InputError

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red", "x", "Kelvin"]
# Separators and the two non-ASCII letters whose lower case holds a-z: U+212A (-> k), U+0130 (-> i + dot).
NOISE = ["", ",", ".", " 42 ", "!", "'s", "--", "\t", "\r", " é ", "\u212a", "\u0130", "ß", "  "]
SMALL_CHUNKS = dict(shard_bytes=64, chunk_bytes=16)


def lee_corpus() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


@st.composite
def texts(draw):
    """Multi-line texts: mixed case, punctuation, digits, non-ASCII, empty and one-word lines."""
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        tokens = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=20))
        noise = draw(st.lists(st.sampled_from(NOISE), min_size=len(tokens), max_size=len(tokens)))
        cased = [t.upper() if draw(st.booleans()) else t for t in tokens]
        lines.append(" ".join(f"{t}{n}" for t, n in zip(cased, noise)))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def same_statistics(streamed, reference) -> None:
    """Every field corpus_statistics returns, compared exactly (integer weights: no tolerance)."""
    assert streamed.vocab == reference.vocab
    assert streamed.counts.dtype == reference.counts.dtype == np.float64
    assert np.array_equal(streamed.counts, reference.counts)
    assert np.array_equal(streamed.word_counts, reference.word_counts)
    assert (streamed.tokens, streamed.kept_tokens, streamed.documents) == \
        (reference.tokens, reference.kept_tokens, reference.documents)


def outcome(function):
    """('ok', value) or ('error', InputError message) - both counters must agree on which."""
    try:
        return "ok", function()
    except InputError as exc:
        return "error", str(exc)


@pytest.mark.claim("RT-COUNT-STREAM")
@given(text=texts(), window=st.integers(1, 5), vocab=st.integers(2, 12))
def test_streaming_counts_equal_corpus_statistics(text, window, vocab):
    """Tiny shards and chunks (cuts at many line boundaries) change nothing, nor do errors differ."""
    check_claim("RT-COUNT-STREAM", StreamCase(text, vocab, window, **SMALL_CHUNKS))


@pytest.mark.claim("RT-COUNT-STREAM")
@pytest.mark.parametrize("vocab, window", [(500, 5), (2000, 16)])
def test_streaming_counts_equal_on_real_text(vocab, window):
    check_claim("RT-COUNT-STREAM", StreamCase(None, vocab, window, shard_bytes=20_000, chunk_bytes=5_000,
                                              path=str(lee_corpus()), label=f"lee_background, V={vocab}, L={window}"))


@pytest.mark.claim("RT-COUNT-STREAM")
def test_lonely_word_is_replaced_as_corpus_statistics_does(tmp_path):
    check_claim("RT-COUNT-STREAM", StreamCase("title\ntitle\ntitle\na b a\nb c\n", 2, 2))
    path = tmp_path / "c.txt"
    path.write_text("title\ntitle\ntitle\na b a\nb c\n")
    assert count_corpus(path, 2, 2).statistics().vocab == ["a", "b"]


def partition_corpus(tmp_path) -> Path:
    """Lee's corpus split over two files in a folder, so shards come from two files and many byte ranges."""
    lines = lee_corpus().read_text(encoding="utf-8").splitlines(keepends=True)
    folder = tmp_path / "corpus"
    (folder / "b").mkdir(parents=True)
    (folder / "a.txt").write_text("".join(lines[:120]), encoding="utf-8")
    (folder / "b" / "c.txt").write_text("".join(lines[120:]), encoding="utf-8")
    return folder


@pytest.mark.claim("RT-COUNT-PARTITION")
def test_one_process_and_two_local_workers_agree(tmp_path):
    folder = partition_corpus(tmp_path)
    check_claim("RT-COUNT-PARTITION", PartitionCase(
        str(folder), 800, 8, (dict(workers=1, shard_bytes=10_000_000),
                              dict(workers=2, shard_bytes=30_000, chunk_bytes=7_000)),
        label="lee_background in two files, V=800, L=8: 1 process vs 2 local workers"))


@pytest.mark.slow
@pytest.mark.claim("RT-COUNT-PARTITION")
def test_dask_local_cluster_agrees(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    folder = partition_corpus(tmp_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        check_claim("RT-COUNT-PARTITION", PartitionCase(
            str(folder), 800, 8, (dict(workers=1), dict(scheduler=cluster.scheduler_address, shard_bytes=30_000)),
            label="lee_background in two files, V=800, L=8: 1 process vs a 2-worker Dask LocalCluster"))


def test_counts_file_round_trip(tmp_path):
    counted = count_corpus(lee_corpus(), 300, 4)
    path = save_counts(tmp_path / "sub" / "lee.npz", counted)
    loaded = load_counts(path)
    same_statistics(loaded, counted.statistics())
    assert loaded.window == 4 and loaded.cached
    assert [p.name for p in path.parent.iterdir()] == ["lee.npz"]  # no temporary left behind


def corrupt_files(tmp_path) -> dict[str, Path]:
    good = save_counts(tmp_path / "good.npz", count_corpus(lee_corpus(), 50, 2))
    data = dict(np.load(good, allow_pickle=False))
    variants = {
        "truncated": good.read_bytes()[: good.stat().st_size // 2],
        "not a zip": b"not an npz file",
    }
    files = {}
    for name, raw in variants.items():
        files[name] = tmp_path / f"{name.replace(' ', '_')}.npz"
        files[name].write_bytes(raw)
    edits = {
        "missing vocab": {k: v for k, v in data.items() if k != "vocab"},
        "float counts": {**data, "counts": data["counts"].astype(np.float64)},
        "asymmetric": {**data, "counts": np.triu(data["counts"])},
        "negative": {**data, "counts": -data["counts"]},
        "short vocab": {**data, "vocab": data["vocab"][:-1]},
        "wrong format": {**data, "format": np.int64(99)},
        "pickled vocab": {**data, "vocab": np.array(list(data["vocab"]), dtype=object)},
    }
    for name, arrays in edits.items():
        files[name] = tmp_path / f"{name.replace(' ', '_')}.npz"
        np.savez(files[name], **arrays)
    return files


def test_bad_counts_files_are_one_line_errors(tmp_path):
    for name, path in corrupt_files(tmp_path).items():
        with pytest.raises(InputError) as info:
            load_counts(path)
        assert "\n" not in str(info.value), name
    with pytest.raises(InputError, match="does not exist"):
        load_counts(tmp_path / "missing.npz")


def test_cli_count_writes_loadable_counts(tmp_path):
    out = tmp_path / "deep" / "counts.npz"
    code, stdout, stderr = run_cli("count", lee_corpus(), "--vocab", 400, "--window", 5, "--out", out,
                                   "--workers", 1, "--no-progress")
    assert code == 0, stderr
    assert "V = 400" in stdout and stderr == ""
    same_statistics(load_counts(out), corpus_statistics(lee_corpus(), 400, 5, cache=False))


@pytest.mark.parametrize("args, message", [
    (["{missing}", "--vocab", "5", "--out", "{out}"], "does not exist"),
    (["{lee}", "--vocab", "1", "--out", "{out}"], "--vocab"),
    (["{lee}", "--vocab", "5", "--window", "0", "--out", "{out}"], "--window"),
    (["{lee}", "--vocab", "5", "--out", "{tmp}/x.txt"], ".npz"),
    (["{lee}", "--vocab", "5", "--out", "{out}", "--workers", "0"], "--workers"),
    (["{lee}", "--vocab", "5", "--out", "{out}", "--scheduler", "not an address"], "scheduler address"),
    (["{lee}", "--vocab", "100000", "--out", "{out}"], "exceeds"),
    (["{binary}", "--vocab", "5", "--out", "{out}"], "binary"),
])
def test_cli_count_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"abc \x00\x01 def\n")
    names = dict(missing=tmp_path / "nope.txt", out=tmp_path / "out" / "c.npz", lee=lee_corpus(),
                 tmp=tmp_path, binary=binary)
    code, stdout, stderr = run_cli("count", *[a.format(**names) for a in args], "--no-progress")
    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.txt").exists()


def test_cli_count_unreachable_scheduler(tmp_path):
    code, _, stderr = run_cli("count", lee_corpus(), "--vocab", 5, "--out", tmp_path / "c.npz",
                              "--scheduler", "tcp://127.0.0.1:9", "--no-progress")
    assert code == 2 and "cannot reach the Dask scheduler" in stderr
    assert len(stderr.strip().splitlines()) == 1 and not (tmp_path / "c.npz").exists()


def test_cli_count_subprocess(tmp_path):
    """The installed entry point: success prints one summary line; bad input exits 2 with one line."""
    out = tmp_path / "c.npz"
    ok = subprocess.run([sys.executable, "-m", "sims.cli", "count", str(lee_corpus()), "--vocab", "100",
                         "--out", str(out), "--workers", "1"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert load_counts(out).counts.shape == (100, 100)
    # Progress goes to stderr as plain lines when it is not a terminal.
    assert "windowed pass" in ok.stderr
    bad = subprocess.run([sys.executable, "-m", "sims.cli", "count", str(tmp_path / "missing"), "--vocab", "5",
                          "--out", str(tmp_path / "d.npz")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d.npz").exists()
