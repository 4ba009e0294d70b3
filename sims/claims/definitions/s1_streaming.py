"""THEORY §1 claims on the streaming counter (sims.data.counting): it equals sims.corpus's counts exactly, and
its exact integer counts do not depend on how the corpus is partitioned (shards, chunks, workers, a Dask cluster).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sims.claims.registry import Measurement, register, require
from theory.validation import InputError


@dataclass(frozen=True)
class StreamCase:
    """A corpus text (or an existing corpus path), V, L and how the streaming counter cuts it."""

    text: str | None
    vocab: int
    window: int
    shard_bytes: int = 64
    chunk_bytes: int = 16
    path: str | None = None
    label: str = ""

    def __repr__(self) -> str:
        what = self.path or f"text of {len(self.text or '')} chars"
        return self.label or f"StreamCase({what}, V={self.vocab}, L={self.window}, shards {self.shard_bytes} B, " \
                             f"chunks {self.chunk_bytes} B)"


def _outcome(function):
    try:
        return "ok", function()
    except InputError as exc:
        return "error", str(exc)


def differing(streamed, reference) -> int:
    """Entries of counts and word counts, and of (tokens, kept tokens, documents), that differ."""
    wrong = int(np.count_nonzero(streamed.counts != reference.counts))
    wrong += int(np.count_nonzero(streamed.word_counts != reference.word_counts))
    wrong += sum(a != b for a, b in zip((streamed.tokens, streamed.kept_tokens, streamed.documents),
                                        (reference.tokens, reference.kept_tokens, reference.documents)))
    return wrong


@register("RT-COUNT-STREAM", "the streaming, compiled counter (sims.data.counting) gives exactly sims.corpus's "
                             "counts, vocabulary, unigram counts, token and document totals, and fails on exactly "
                             "the inputs it fails on, however the text is cut into shards and chunks",
          source="THEORY §1 (conventions of sims.corpus.corpus_statistics)", tolerance="exact_count", section=1)
def streaming_equals_reference(case: StreamCase) -> Measurement:
    from sims.corpus import corpus_statistics
    from sims.data.counting import count_corpus

    with tempfile.TemporaryDirectory() as folder:
        path = Path(case.path) if case.path else Path(folder) / "corpus.txt"
        if not case.path:
            path.write_text(case.text, encoding="utf-8")
        kind, reference = _outcome(lambda: corpus_statistics(path, case.vocab, case.window, cache=False))
        streamed_kind, streamed = _outcome(lambda: count_corpus(path, case.vocab, case.window,
                                                                shard_bytes=case.shard_bytes,
                                                                chunk_bytes=case.chunk_bytes))
    require(streamed_kind == kind, "both counters succeed, or both reject the input",
            predicted=reference if kind == "error" else "counts", measured=streamed if streamed_kind == "error"
            else "counts")
    if kind == "error":
        return Measurement(0.0, what="both counters reject the input")
    require(streamed.counts.dtype == np.int64, "the streaming counts are int64 (exact)", measured=str(streamed.counts.dtype))
    stats = streamed.statistics()
    require(stats.vocab == reference.vocab, "the vocabulary and its order", predicted=reference.vocab,
            measured=stats.vocab)
    return Measurement(float(differing(stats, reference)),
                       what="entries of counts, word counts and totals that differ from sims.corpus's")


@dataclass(frozen=True)
class PartitionCase:
    """A corpus (files or a folder), V, L and the partitionings to compare: count_corpus keyword sets
    (workers, shard_bytes, chunk_bytes, scheduler=a Dask address)."""

    corpus: str
    vocab: int
    window: int
    partitions: tuple = field(default=())
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"PartitionCase({self.corpus}, V={self.vocab}, L={self.window}, {self.partitions})"


@register("RT-COUNT-PARTITION", "exact integer counts do not depend on the partitioning: one process, local worker "
                                "processes and a Dask cluster, with any shard and chunk sizes, give identical "
                                "counts, vocabulary and totals",
          source="THEORY §1: counts are sums of integers, so any partition sums to the same", tolerance="exact_count",
          section=1)
def partition_invariance(case: PartitionCase) -> Measurement:
    from sims.data.counting import count_corpus

    require(len(case.partitions) >= 2, "at least two partitionings to compare")
    runs = [count_corpus(case.corpus, case.vocab, case.window, **dict(p)) for p in case.partitions]
    first = runs[0]
    wrong = 0
    for other in runs[1:]:
        require(other.vocab == first.vocab, "the same vocabulary in the same order", predicted=first.vocab[:10],
                measured=other.vocab[:10])
        wrong += differing(other, first)
    return Measurement(float(wrong), what="entries of counts, word counts and totals that differ between partitionings",
                       detail=f"{len(runs)} partitionings")
