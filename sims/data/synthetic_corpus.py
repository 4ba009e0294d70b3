"""Reproducible synthetic text of any length: made-up Zipfian words with planted topics, one document a line.

Each document draws a topic; each of its tokens comes, with probability `topic_share`, from the topic's
own words (Zipfian within the topic) and otherwise from the global Zipfian unigram. Words of one topic
therefore co-occur more than their frequencies predict: M* of such a corpus has planted structure.
Everything is fixed by the seed, and the text streams to disk in blocks (memory stays O(block)).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
BLOCK_TOKENS = 1 << 21


@dataclass(frozen=True)
class SyntheticCorpus:
    """What was written: the path, its token and document counts, and the word list (rank order)."""

    path: Path
    tokens: int
    documents: int
    words: list[str]


def made_up_words(count: int, rng: np.random.Generator) -> list[str]:
    """`count` distinct lowercase words, short ones first (frequent words are short, as in English)."""
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < count:
        need = count - len(words)
        rank = np.arange(len(words), len(words) + need)
        lengths = np.clip(np.round(1 + 0.6 * np.log(rank + 2) + rng.normal(0, 0.7, need)), 2, 14).astype(int)
        letters = rng.integers(0, 26, size=(need, 14))
        for length, row in zip(lengths, LETTERS[letters]):
            word = row[:length].tobytes().decode("ascii")
            if word not in seen:
                seen.add(word)
                words.append(word)
    return words


@numba.njit(cache=True)
def _alias_table(probabilities):
    """Walker's alias method (Vose): draw i uniformly, keep it if coin < threshold[i], else take alias[i].

    Thresholds are scaled to 2^32 so a 32-bit coin decides; the tables are small enough to stay in cache.
    """
    n = probabilities.shape[0]
    scaled = probabilities * n
    threshold = np.zeros(n, dtype=np.uint64)
    alias = np.arange(n).astype(np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        threshold[s] = np.uint64(scaled[s] * 4294967296.0)
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        if scaled[g] < 1.0:
            large.pop()
            small.append(g)
    for g in large:
        threshold[g] = np.uint64(4294967296)
    for s in small:
        threshold[s] = np.uint64(4294967296)
    return threshold, alias


@numba.njit(cache=True, nogil=True)
def _alias_draw(r, threshold, alias, first, n):
    """One draw from the alias table rows [first, first + n): the high 32 bits pick, the low 32 decide."""
    i = np.int64(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
    if (r & np.uint64(0xFFFFFFFF)) < threshold[first + i]:
        return first + i
    return alias[first + i]


@numba.njit(cache=True, nogil=True)
def _render(randoms, document_ends, topic_of_document, threshold, alias, word_of, table_start, table_size,
            topical_below, arena, offsets, lengths, out):
    """Draw one word per pair of 64-bit randoms; write words, a space between, a newline after each document.

    Alias table 0 is the global unigram, table 1 + t topic t's words. The second random's low 16 bits
    decide whether the token is topical (below `topical_below` out of 2^16). Returns the bytes used.
    """
    used = 0
    d = 0
    for t in range(document_ends[-1]):
        table = 0
        if (randoms[2 * t + 1] & np.uint64(0xFFFF)) < topical_below:
            table = 1 + topic_of_document[d]
        w = word_of[_alias_draw(randoms[2 * t], threshold, alias, table_start[table], table_size[table])]
        for k in range(lengths[w]):
            out[used] = arena[offsets[w] + k]
            used += 1
        if t + 1 == document_ends[d]:
            out[used] = 10
            d += 1
        else:
            out[used] = 32
        used += 1
    return used


class _Sampler:
    """Alias tables, concatenated: the global Zipfian unigram, then each topic's own words."""

    def __init__(self, vocabulary: int, topics: int, exponent: float, topic_share: float,
                 rng: np.random.Generator):
        zipf = np.arange(1, vocabulary + 1, dtype=np.float64) ** -exponent
        # The most frequent words stay topic-free (function words); the rest each belong to one topic.
        home = rng.integers(0, topics, size=vocabulary)
        home[: min(100, vocabulary // 10)] = -1
        members = [np.arange(vocabulary)] + [np.flatnonzero(home == t) for t in range(topics)]
        members = [m if m.size else np.arange(vocabulary) for m in members]
        thresholds, aliases = [], []
        start = 0
        for m in members:
            threshold, alias = _alias_table(zipf[m] / zipf[m].sum())
            thresholds.append(threshold)
            aliases.append(alias + start)
            start += m.size
        self.threshold = np.concatenate(thresholds)
        self.alias = np.concatenate(aliases)
        self.word_of = np.concatenate(members).astype(np.int32)
        self.table_size = np.array([m.size for m in members], dtype=np.int64)
        self.table_start = np.concatenate([[0], np.cumsum(self.table_size)[:-1]]).astype(np.int64)
        self.topical_below = np.uint64(round(topic_share * (1 << 16)))


def write_synthetic_corpus(path, tokens: int, *, seed: int = 0, vocabulary: int = 50_000, topics: int = 50,
                           mean_document_tokens: int = 400, exponent: float = 1.0,
                           topic_share: float = 0.3) -> SyntheticCorpus:
    """Write ~`tokens` tokens (whole documents; at least `tokens`) of synthetic text to `path`, atomically."""
    if tokens < 1 or vocabulary < 2 or topics < 1 or mean_document_tokens < 1:
        raise ValueError("tokens, vocabulary, topics and mean_document_tokens must be positive")
    rng = np.random.default_rng(seed)
    words = made_up_words(vocabulary, rng)
    encoded = [w.encode("ascii") for w in words]
    lengths = np.array([len(w) for w in encoded], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    arena = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    sampler = _Sampler(vocabulary, topics, exponent, topic_share, rng)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    written = documents = 0
    try:
        with open(tmp, "wb") as out:
            while written < tokens:
                doc_lengths = _document_lengths(rng, mean_document_tokens, tokens - written)
                ends = np.cumsum(doc_lengths)
                topic = rng.integers(0, topics, size=doc_lengths.size)
                randoms = rng.bit_generator.random_raw(2 * int(ends[-1]))
                buffer = np.empty(int(ends[-1]) * (int(lengths.max()) + 1), dtype=np.uint8)
                used = _render(randoms, ends, topic, sampler.threshold, sampler.alias, sampler.word_of,
                               sampler.table_start, sampler.table_size, sampler.topical_below,
                               arena, offsets, lengths, buffer)
                out.write(buffer[:used].tobytes())
                written += int(ends[-1])
                documents += doc_lengths.size
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return SyntheticCorpus(path=path, tokens=written, documents=documents, words=words)


def _document_lengths(rng: np.random.Generator, mean: int, remaining: int) -> np.ndarray:
    """Geometric document lengths (>= 1) for about one block, ending once `remaining` tokens are covered."""
    lengths = rng.geometric(1.0 / mean, size=max(1, BLOCK_TOKENS // mean))
    ends = np.cumsum(lengths)
    cut = int(np.searchsorted(ends, remaining)) + 1
    return lengths[:cut]
