"""Exact windowed co-occurrence counts of a streamed corpus, in bounded memory, equal to sims.corpus's.

Two passes over the text (THEORY §1; the conventions of sims.corpus.corpus_statistics, bit for bit):
a vocabulary pass counts every word type, the top V by count (ties alphabetical) become the vocabulary;
a windowed pass drops out-of-vocabulary tokens, then adds weight L + 1 - d for each pair at offset
d = 1..L within a line, both orders. A vocabulary word with no in-vocabulary neighbour anywhere (an
all-zero row) is replaced by the next most frequent word and the windowed pass repeated. Memory is
O(V^2) for the counts plus O(chunk) for the text, whatever the corpus length; counts are int64.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from sims.corpus import MAX_VOCABULARY_PASSES, CorpusStatistics
from sims.data import kernels
from sims.data.parallel import InProcess, Progress, advance, group_tasks, task_runner
from sims.data.reader import CHUNK_BYTES, SHARD_BYTES, Shard, corpus_files, corpus_shards, shard_chunks
from theory.validation import InputError

# Tasks of the windowed pass each return a V x V triangle; larger tasks amortise that transfer.
WINDOW_TASK_BYTES = 256 << 20
VOCABULARY_TASK_BYTES = 64 << 20
UINT32_MAX = np.iinfo(np.uint32).max


@dataclass(frozen=True)
class CorpusCounts:
    """Exact windowed co-occurrence counts (int64) of a corpus's top-V words, with what they came from."""

    counts: np.ndarray        # (V, V) int64, symmetric
    vocab: list[str]          # most frequent first, ties alphabetical
    word_counts: np.ndarray   # (V,) int64 token counts
    tokens: int               # tokens of the kept documents, before OOV removal
    kept_tokens: int          # tokens left after OOV removal
    documents: int            # documents with at least max(1, min_document_tokens) tokens
    window: int
    min_document_tokens: int
    source: str
    seconds: float

    def statistics(self) -> CorpusStatistics:
        """The same numbers as sims.corpus.CorpusStatistics (float64 counts, exact integers)."""
        return CorpusStatistics(counts=self.counts.astype(np.float64), vocab=list(self.vocab),
                                word_counts=self.word_counts.astype(np.float64), tokens=self.tokens,
                                kept_tokens=self.kept_tokens, documents=self.documents, window=self.window,
                                source=self.source, seconds=self.seconds, cached=False)


class Scratch:
    """Per-chunk work buffers, grown to the largest chunk seen."""

    def __init__(self):
        self.size = -1

    def fit(self, length: int) -> "Scratch":
        if length > self.size:
            self.size = max(length, 1 << 16)
            tokens = self.size // 2 + 1
            self.letters = np.empty(self.size, dtype=np.uint8)
            self.token_start = np.empty(tokens, dtype=np.int64)
            self.token_length = np.empty(tokens, dtype=np.int64)
            self.token_hash = np.empty(tokens, dtype=np.uint64)
            self.ids = np.empty(tokens, dtype=np.int64)
        return self


class WordTable:
    """Open-addressing hash table of words (their bytes kept, so equal hashes never merge two words)."""

    def __init__(self, capacity: int = 1 << 15, arena_bytes: int = 1 << 18):
        self.state = np.zeros(4, dtype=np.int64)  # words, arena bytes used, tokens, documents
        self._allocate(capacity, arena_bytes)

    def _allocate(self, capacity: int, arena_bytes: int) -> None:
        words, used = int(self.state[0]), int(self.state[1])

        def resized(name, length, dtype, keep):
            new = np.zeros(length, dtype=dtype)
            old = getattr(self, name, None)
            if old is not None:
                new[:keep] = old[:keep]
            setattr(self, name, new)

        for name, dtype in (("word_hash", np.uint64), ("word_offset", np.int64), ("word_length", np.int64),
                            ("word_count", np.int64)):
            resized(name, capacity, dtype, words)
        resized("arena", arena_bytes, np.uint8, used)
        self.slots = np.full(2 * _power_of_two(capacity), kernels.EMPTY_SLOT, dtype=np.int64)
        kernels.rehash(self.slots, self.word_hash, words)

    def grow(self, words: int, letters: int) -> None:
        """Make room for `words` more words holding `letters` more bytes."""
        need_words = int(self.state[0]) + words
        need_bytes = int(self.state[1]) + letters
        self._allocate(max(2 * len(self.word_hash), need_words), max(2 * len(self.arena), need_bytes))

    def count_chunk(self, data: np.ndarray, min_tokens: int, scratch: Scratch) -> None:
        position = 0
        while True:
            position = kernels.count_words(
                data, position, min_tokens, self.slots, self.word_hash, self.word_offset, self.word_length,
                self.arena, self.word_count, self.state, scratch.letters, scratch.token_start,
                scratch.token_length, scratch.token_hash)
            if position >= len(data):
                return
            # The line at `position` might not fit: grow by at least that line's worth.
            end = data[position:].tobytes().find(b"\n")
            line = len(data) - position if end < 0 else end
            self.grow(line // 2 + 1, line)

    def merge(self, part: "VocabularyPart") -> None:
        if self.state[0] + len(part.counts) > len(self.word_hash) or \
                self.state[1] + len(part.arena) > len(self.arena):
            self.grow(len(part.counts), len(part.arena))
        kernels.merge_words(part.arena, part.offsets, part.lengths, part.counts, part.hashes, self.slots,
                            self.word_hash, self.word_offset, self.word_length, self.arena, self.word_count,
                            self.state)
        self.state[2] += part.tokens
        self.state[3] += part.documents

    def part(self) -> "VocabularyPart":
        n, used = int(self.state[0]), int(self.state[1])
        return VocabularyPart(self.arena[:used].copy(), self.word_offset[:n].copy(), self.word_length[:n].copy(),
                              self.word_count[:n].copy(), self.word_hash[:n].copy(), int(self.state[2]),
                              int(self.state[3]))

    @classmethod
    def of_words(cls, words: list[str]) -> "WordTable":
        """A table holding exactly `words`, word i at index i (the vocabulary of the windowed pass)."""
        encoded = [w.encode("ascii") for w in words]
        lengths = np.array([len(w) for w in encoded], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        arena = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
        table = cls(capacity=max(len(words), 1), arena_bytes=max(len(arena), 1))
        table.merge(VocabularyPart(arena, offsets, lengths, np.zeros(len(words), dtype=np.int64),
                                   kernels.word_hashes(arena, offsets, lengths), 0, 0))
        return table


def _power_of_two(n: int) -> int:
    return 1 << max(4, int(n - 1).bit_length())


@dataclass(frozen=True)
class VocabularyPart:
    """Word types and counts of part of a corpus (compact arrays, cheap to send between processes)."""

    arena: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    counts: np.ndarray
    hashes: np.ndarray
    tokens: int
    documents: int


def _chunks(shards: list[Shard], chunk_bytes: int):
    for shard in shards:
        for chunk in shard_chunks(shard, chunk_bytes):
            yield np.frombuffer(chunk, dtype=np.uint8)
            advance(len(chunk) if shard.end is not None else 0)
        if shard.end is None:
            advance(shard.size)  # compressed: progress in bytes on disk, once the file is done


def vocabulary_task(shards: list[Shard], min_tokens: int, chunk_bytes: int = CHUNK_BYTES) -> VocabularyPart:
    """Pass 1 on some shards: the count of every word type, tokens and documents."""
    table, scratch = WordTable(), Scratch()
    for data in _chunks(shards, chunk_bytes):
        table.count_chunk(data, min_tokens, scratch.fit(len(data)))
    return table.part()


def windows_task(shards: list[Shard], vocab: list[str], window: int, min_tokens: int,
                 spill_folder: str | None = None, into: np.ndarray | None = None,
                 chunk_bytes: int = CHUNK_BYTES):
    """Pass 2 on some shards: the packed triangle of weighted pair counts and the in-vocabulary tokens.

    The triangle is added `into` a given array (in-process), written to a file in `spill_folder` (local
    workers: the parent adds it block by block, so two triangles are never in memory at once), or
    returned (a Dask cluster), as uint32 when every count fits.
    """
    size = len(vocab)
    table, scratch = WordTable.of_words(vocab), Scratch()
    triangle = into if into is not None else np.zeros(size * (size + 1) // 2, dtype=np.int64)
    row_start = kernels.triangle_row_starts(size)
    kept = np.zeros(1, dtype=np.int64)
    for data in _chunks(shards, chunk_bytes):
        s = scratch.fit(len(data))
        kernels.count_windows(data, min_tokens, window, table.slots, table.word_hash, table.word_offset,
                              table.word_length, table.arena, triangle, row_start, kept, s.ids, s.letters,
                              s.token_start, s.token_length, s.token_hash)
    if into is not None:
        return None, int(kept[0])
    if triangle.max(initial=0) <= UINT32_MAX:
        triangle = triangle.astype(np.uint32)
    if spill_folder is None:
        return triangle, int(kept[0])
    handle, path = tempfile.mkstemp(prefix="triangle-", suffix=".bin", dir=spill_folder)
    with os.fdopen(handle, "wb") as out:
        triangle.tofile(out)
    return (path, triangle.dtype.str), int(kept[0])


def _add_spilled(total: np.ndarray, spilled: tuple[str, str]) -> None:
    path, dtype = spilled
    block = 1 << 23
    with open(path, "rb") as stream:
        for start in range(0, len(total), block):
            part = np.fromfile(stream, dtype=np.dtype(dtype), count=min(block, len(total) - start))
            kernels.add_into(total, part, start, start + len(part))
    os.unlink(path)


class Ranking:
    """Word types by count, most frequent first, ties alphabetical (only the top is ever sorted)."""

    def __init__(self, table: WordTable):
        n = int(table.state[0])
        self.counts = table.word_count[:n]
        self.offsets, self.lengths, self.arena = table.word_offset[:n], table.word_length[:n], table.arena
        self.distinct = n

    def top(self, n: int) -> list[tuple[str, int]]:
        n = min(n, self.distinct)
        cutoff = np.partition(self.counts, self.distinct - n)[self.distinct - n] if n else 0
        candidates = np.flatnonzero(self.counts >= cutoff)
        words = [(self.arena[self.offsets[i]:self.offsets[i] + self.lengths[i]].tobytes().decode("ascii"),
                  int(self.counts[i])) for i in candidates]
        return sorted(words, key=lambda item: (-item[1], item[0]))[:n]

    def first(self, n: int, excluded: set[str]) -> list[tuple[str, int]]:
        """The n most frequent words not in `excluded`."""
        return [(w, c) for w, c in self.top(n + len(excluded)) if w not in excluded][:n]


def _integer(value, minimum: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def count_corpus(corpus, vocab: int, window: int = 16, *, min_document_tokens: int = 0, workers: int = 1,
                 scheduler: str | None = None, progress: bool = False, shard_bytes: int = SHARD_BYTES,
                 chunk_bytes: int = CHUNK_BYTES, spill_folder: str | None = None) -> CorpusCounts:
    """Count `corpus` (a path or list of paths: files or folders) exactly, in parallel when workers > 1.

    With `scheduler` (a Dask address) the tasks run on that cluster, whose workers must be able to read
    the corpus paths. The result does not depend on workers, shards or chunks: counts are exact integers.
    """
    vocab = _integer(vocab, 2, "vocabulary size")
    window = _integer(window, 1, "window")
    min_tokens = _integer(min_document_tokens, 0, "min_document_tokens")
    workers = _integer(workers, 1, "workers")
    start = time.perf_counter()
    files = corpus_files(corpus)
    shards = corpus_shards(files, shard_bytes)
    source = ", ".join(str(f) for f in files)
    if sum(s.size for s in shards) == 0:
        raise InputError(f"corpus {source!r} is empty")
    if workers > 1 and scheduler is None:
        _load_kernels()
    with task_runner(workers, scheduler) as runner:
        table = _vocabulary_pass(runner, shards, min_tokens, chunk_bytes, progress)
        tokens, documents = int(table.state[2]), int(table.state[3])
        if tokens == 0:
            if min_tokens > 1:
                raise InputError(f"no document of corpus {source!r} has {min_tokens} or more tokens")
            raise InputError("the corpus has no tokens (runs of letters a-z)")
        ranking = Ranking(table)
        if vocab > ranking.distinct:
            raise InputError(f"vocabulary size V={vocab} exceeds the {ranking.distinct} distinct words in the corpus")
        chosen, triangle, kept = _choose_vocabulary(runner, shards, ranking, vocab, window, min_tokens,
                                                    chunk_bytes, progress, spill_folder)
    counts = np.empty((vocab, vocab), dtype=np.int64)
    kernels.symmetric_from_triangle(triangle, vocab, counts)
    del triangle
    return CorpusCounts(counts=counts, vocab=[w for w, _ in chosen],
                        word_counts=np.array([c for _, c in chosen], dtype=np.int64), tokens=tokens,
                        kept_tokens=kept, documents=documents, window=window, min_document_tokens=min_tokens,
                        source=source, seconds=time.perf_counter() - start)


def _choose_vocabulary(runner, shards, ranking, vocab, window, min_tokens, chunk_bytes, progress, spill_folder):
    # A word that never has an in-vocabulary neighbour (e.g. only in one-word lines) has an all-zero
    # row, where M* is undefined: skip it and take the next most frequent word, until every row counts.
    excluded: set[str] = set()
    for attempt in range(MAX_VOCABULARY_PASSES):
        chosen = ranking.first(vocab, excluded)
        if len(chosen) < vocab:
            raise InputError(f"only {len(chosen)} words of the corpus co-occur with another within the window; "
                             f"V={vocab} is too large")
        words = [w for w, _ in chosen]
        triangle, kept = _windows_pass(runner, shards, words, window, min_tokens, chunk_bytes, progress,
                                       spill_folder, attempt)
        lonely = np.flatnonzero(kernels.row_sums(triangle, vocab) == 0)
        if lonely.size == 0:
            return chosen, triangle, kept
        excluded.update(words[i] for i in lonely)
        del triangle
    raise InputError(f"could not find {vocab} words that each co-occur with another; use a smaller V")


def _load_kernels() -> None:
    """Compile (or load from numba's cache) every kernel here, so forked workers inherit them ready."""
    data = np.frombuffer(b"a b a\n", dtype=np.uint8)
    table, scratch = WordTable.of_words(["a", "b"]), Scratch().fit(len(data))
    WordTable().count_chunk(data, 0, scratch)
    triangle = np.zeros(3, dtype=np.int64)
    kernels.count_windows(data, 0, 2, table.slots, table.word_hash, table.word_offset, table.word_length,
                          table.arena, triangle, kernels.triangle_row_starts(2), np.zeros(1, dtype=np.int64),
                          scratch.ids, scratch.letters, scratch.token_start, scratch.token_length,
                          scratch.token_hash)
    kernels.row_sums(triangle, 2)
    kernels.add_into(triangle, triangle.astype(np.uint32), 0, 3)


def _vocabulary_pass(runner, shards, min_tokens, chunk_bytes, progress) -> WordTable:
    sizes = [s.size for s in shards]
    groups = group_tasks(shards, sizes, VOCABULARY_TASK_BYTES, runner.workers)
    meter = Progress("vocabulary pass", sum(sizes), progress)
    table = WordTable()
    done = 0
    for task, part in runner.unordered(vocabulary_task, [(g, min_tokens, chunk_bytes) for g in groups]):
        if task is not None:
            table.merge(part)
            done += sum(s.size for s in task[0])
        meter.update_to(runner.bytes_read() if runner.local else done)
    meter.close()
    return table


def _windows_pass(runner, shards, words, window, min_tokens, chunk_bytes, progress, spill_folder, attempt):
    size = len(words)
    sizes = [s.size for s in shards]
    total = np.zeros(size * (size + 1) // 2, dtype=np.int64)
    label = "windowed pass" + (f" (vocabulary revision {attempt})" if attempt else "")
    meter = Progress(label, sum(sizes), progress)
    start_bytes = runner.bytes_read()
    kept = done = 0
    with tempfile.TemporaryDirectory(prefix="w2v-count-", dir=spill_folder) as spill:
        if isinstance(runner, InProcess):
            # In this process: every shard adds straight into the total (one triangle in memory).
            tasks = [([s], words, window, min_tokens, None, total, chunk_bytes) for s in shards]
        else:
            groups = group_tasks(shards, sizes, WINDOW_TASK_BYTES, runner.workers)
            folder = spill if runner.local else None
            tasks = [(g, words, window, min_tokens, folder, None, chunk_bytes) for g in groups]
        for task, result in runner.unordered(windows_task, tasks):
            if task is not None:
                triangle, part_kept = result
                kept += part_kept
                if isinstance(triangle, tuple):
                    _add_spilled(total, triangle)
                elif triangle is not None:
                    kernels.add_into(total, triangle, 0, len(total))
                done += sum(s.size for s in task[0])
                del triangle, result
            meter.update_to(runner.bytes_read() - start_bytes if runner.local else done)
    meter.close()
    return total, kept
