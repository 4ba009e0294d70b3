"""THEORY §1 claim on corpus counting: the vectorised windowed counts equal the definition written as loops."""

from __future__ import annotations

import collections
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sims.claims.registry import Measurement, register, require


@dataclass(frozen=True)
class TextCase:
    """A small corpus (one document per line), the vocabulary size V and the window L."""

    text: str
    vocab: int
    window: int


def reference_counts(text: str, vocab_size: int, window: int):
    """THEORY §1 straight from the definition, in Python loops: (vocab, counts, unigram), or None when
    fewer than V words co-occur with another. Words with no in-vocabulary neighbour are skipped."""
    documents = [re.findall(r"[a-z]+", line.lower()) for line in text.split("\n")]
    counter = collections.Counter(t for doc in documents for t in doc)
    ranked = sorted(counter, key=lambda w: (-counter[w], w))
    excluded: set = set()
    while True:
        vocab = [w for w in ranked if w not in excluded][:vocab_size]
        if len(vocab) < vocab_size:
            return None
        index = {w: i for i, w in enumerate(vocab)}
        counts = np.zeros((vocab_size, vocab_size))
        for doc in documents:
            ids = [index[t] for t in doc if t in index]          # OOV removed before windowing
            for a in range(len(ids)):
                for b in range(a + 1, min(a + window + 1, len(ids))):   # never past the line's end
                    counts[ids[a], ids[b]] += window + 1 - (b - a)       # both orders
                    counts[ids[b], ids[a]] += window + 1 - (b - a)
        lonely = [vocab[i] for i in range(vocab_size) if counts[i].sum() == 0]
        if not lonely:
            unigram = np.array([counter[w] for w in vocab], dtype=float)
            return vocab, counts, unigram / unigram.sum()
        excluded.update(lonely)


@register("RT-COUNT", "corpus counting follows THEORY §1 exactly: top-V words (ties alphabetical), OOV removed "
                      "before windowing, weight L+1-delta at offset delta, both orders, never across a line, "
                      "P_i the token frequencies of the vocabulary",
          source="THEORY §1", tolerance="exact_count", section=1)
def counts_match_definition(case: TextCase) -> Measurement:
    from sims.corpus import corpus_statistics

    reference = reference_counts(case.text, case.vocab, case.window)
    require(reference is not None, "V words co-occur with another (the case must be countable)")
    vocab, counts, unigram = reference
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_text(case.text, encoding="utf-8")
        stats = corpus_statistics(path, case.vocab, case.window, cache=False)
    require(stats.vocab == vocab, "the vocabulary and its order", predicted=vocab, measured=stats.vocab)
    # Integer weights: the two implementations must agree exactly, not approximately.
    wrong = int(np.count_nonzero(stats.counts != counts)) + int(np.count_nonzero(stats.unigram != unigram))
    return Measurement(float(wrong), what="entries of the counts and of P_i that differ from the definition")
