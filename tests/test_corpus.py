"""Corpus counting (RT-COUNT, registry: sims/claims/definitions/s1_counting.py): counts vs the definition; cache; input errors."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.s1_counting import TextCase, reference_counts
from sims.claims.recording import check_claim
from sims.corpus import corpus_statistics
from theory.validation import InputError

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red", "x"]
NOISE = ["", ",", ".", " 42 ", "!", "'s", "--"]


@st.composite
def texts(draw):
    """Multi-line texts with mixed case, punctuation, digits, empty and one-word lines."""
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        tokens = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=25))
        noise = draw(st.lists(st.sampled_from(NOISE), min_size=len(tokens), max_size=len(tokens)))
        cased = [t.upper() if draw(st.booleans()) and t == "cat" else t for t in tokens]
        lines.append(" ".join(f"{t}{n}" for t, n in zip(cased, noise)))
    return "\n".join(lines)


def write(folder: Path, text: str, name: str = "corpus.txt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.claim("RT-COUNT")
@given(text=texts(), window=st.integers(1, 5), data=st.data())
def test_counts_match_naive_reference(text, window, data):
    """Windows of L per side, weight L+1-δ, both orders, no pair across a line, OOV removed first."""
    distinct = len(set(re.findall(r"[a-z]+", text.lower())))
    vocab_size = data.draw(st.integers(2, max(2, distinct)))
    if distinct < 2 or reference_counts(text, vocab_size, window) is None:
        # Too few words (or too few that co-occur): a one-line InputError, never counts.
        with tempfile.TemporaryDirectory() as folder:
            with pytest.raises(InputError):
                corpus_statistics(write(Path(folder), text), vocab_size, window, cache=False)
        return
    check_claim("RT-COUNT", TextCase(text, vocab_size, window))


@pytest.mark.claim("RT-COUNT")
def test_counts_hand_example(tmp_path):
    """A case worked by hand: 'a b a' / 'b c' with L = 2 and V = 2 (c is out of vocabulary)."""
    check_claim("RT-COUNT", TextCase("a b a\nb c\nc a b", 2, 2))
    stats = corpus_statistics(write(tmp_path, "a b a\nb c\nc a b"), 2, 2, cache=False)
    # Vocabulary: a (3), b (3) tie -> alphabetical; c (2) dropped.  Line 1: (a,b) δ1 w2, (b,a) δ1 w2,
    # (a,a) δ2 w1. Line 2: b alone. Line 3: 'a b' after removing c: (a,b) δ1 w2.
    assert stats.vocab == ["a", "b"]
    assert np.array_equal(stats.counts, np.array([[2.0, 6.0], [6.0, 0.0]]))
    assert stats.tokens == 8 and stats.kept_tokens == 6 and stats.documents == 3


@pytest.mark.claim("RT-COUNT")
def test_word_without_context_is_skipped(tmp_path):
    """'title' is the most frequent word but only ever alone on its line: the next word takes its place."""
    check_claim("RT-COUNT", TextCase("title\ntitle\ntitle\na b a\nb c", 2, 2))
    stats = corpus_statistics(write(tmp_path, "title\ntitle\ntitle\na b a\nb c"), 2, 2, cache=False)
    assert stats.vocab == ["a", "b"]
    assert np.all(stats.counts.sum(axis=1) > 0)
    with pytest.raises(InputError, match="co-occur"):
        corpus_statistics(write(tmp_path, "title\ntitle\na b"), 3, 2, cache=False)


def test_cache_roundtrip_and_invalidation(tmp_path, monkeypatch):
    monkeypatch.setenv("W2V_THEORY_CACHE", str(tmp_path / "cache"))
    path = write(tmp_path, "the cat sat on the mat\nthe dog sat\n")
    first = corpus_statistics(path, 3, 2)
    second = corpus_statistics(path, 3, 2)
    assert not first.cached and second.cached
    assert np.array_equal(first.counts, second.counts) and first.vocab == second.vocab
    assert np.array_equal(first.word_counts, second.word_counts)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    # Other parameters or an edited corpus must never reuse the cached counts.
    assert not corpus_statistics(path, 3, 3).cached
    path.write_text("the cat sat on the mat\nthe cat sat\n")
    edited = corpus_statistics(path, 3, 2)
    assert not edited.cached and not np.array_equal(edited.counts, first.counts)


def test_corrupt_cache_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("W2V_THEORY_CACHE", str(tmp_path / "cache"))
    path = write(tmp_path, "a b c a b\n")
    corpus_statistics(path, 2, 1)
    for cached in (tmp_path / "cache").glob("*.npz"):
        cached.write_bytes(b"not an npz file")
    again = corpus_statistics(path, 2, 1)
    assert not again.cached


@pytest.mark.parametrize("text, vocab, window, message", [
    (None, 2, 2, "does not exist"),
    ("", 2, 2, "empty"),
    ("  \n 123 !!\n", 2, 2, "no tokens"),
    ("a b c", 4, 2, "exceeds the 3 distinct words"),
    ("a b c", 2, 0, "window"),
    ("a b c", 1, 2, "vocabulary size"),
])
def test_bad_input_is_one_line_error(tmp_path, text, vocab, window, message):
    path = tmp_path / "missing.txt" if text is None else write(tmp_path, text)
    with pytest.raises(InputError, match=message) as info:
        corpus_statistics(path, vocab, window, cache=False)
    assert "\n" not in str(info.value)


def test_folder_is_not_a_corpus(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        corpus_statistics(tmp_path, 2, 2, cache=False)
