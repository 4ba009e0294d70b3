"""Plain-text corpus -> windowed skip-gram co-occurrence counts (THEORY §1), vectorised and cached on disk.

Conventions (fixed, THEORY §1): text is lowercased and tokens are runs of a-z; each line is one
document; the vocabulary is the V most frequent words (ties broken alphabetically so the result is
deterministic); out-of-vocabulary tokens are removed BEFORE windowing (so a window spans L
in-vocabulary words, as in word2vec with a restricted vocabulary); a pair at offset d in 1..L
inside one document gets weight L + 1 - d and is counted in both orders; pairs never cross a line.
The unigram P_i is the token count of each vocabulary word, normalised over the vocabulary.
A word none of whose occurrences has an in-vocabulary neighbour within its line (its row of counts
would be zero, and M* undefined there) is skipped in favour of the next most frequent word.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory.target import Cooccurrence, cooccurrence
from theory.validation import InputError

# Bump when the counting convention changes, so stale cache files are never reused.
CACHE_FORMAT = 3
TOKEN_PATTERN = re.compile(r"[a-z]+")
DEFAULT_CORPUS_NAME = "lee_background.cor"
MAX_VOCABULARY_PASSES = 20


@dataclass(frozen=True)
class CorpusStatistics:
    """Windowed co-occurrence counts of the top-V words of one corpus."""

    counts: np.ndarray        # (V, V) symmetric weighted pair counts, float64 (exact integers)
    vocab: list[str]          # V words, most frequent first
    word_counts: np.ndarray   # (V,) token counts of the vocabulary words
    tokens: int               # tokens in the corpus (all words, before OOV removal)
    kept_tokens: int          # tokens left after OOV removal
    documents: int
    window: int
    source: str               # corpus path as given
    seconds: float            # time spent reading + counting (0 when loaded from cache)
    cached: bool

    @property
    def unigram(self) -> np.ndarray:
        return self.word_counts / self.word_counts.sum()

    @property
    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.vocab)}

    def cooccurrence(self) -> Cooccurrence:
        """P_ij and P_i (token frequencies of the top-V words) as THEORY §1 defines them."""
        return cooccurrence(self.counts, unigram=self.word_counts, name="corpus co-occurrence counts")


def default_corpus() -> Path:
    """The small real English corpus gensim ships for its tests (Lee news background, ~60k tokens)."""
    try:
        from gensim.test.utils import datapath
    except ImportError:  # pragma: no cover - gensim is a dependency
        raise InputError("no corpus given and gensim (which ships the default corpus) is not installed") from None
    return Path(datapath(DEFAULT_CORPUS_NAME))


def cache_dir() -> Path:
    """$W2V_THEORY_CACHE, else ~/.cache/w2v-theory."""
    return Path(os.environ.get("W2V_THEORY_CACHE") or Path.home() / ".cache" / "w2v-theory")


def tokenize(text: str) -> list[list[str]]:
    """One token list per line: lowercase runs of a-z (empty lines give empty documents)."""
    return [TOKEN_PATTERN.findall(line) for line in text.lower().split("\n")]


def _read_corpus(path: Path) -> str:
    if not path.exists():
        raise InputError(f"corpus {str(path)!r} does not exist")
    if not path.is_file():
        raise InputError(f"corpus {str(path)!r} is not a file")
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"corpus {str(path)!r} cannot be read: {exc}") from None


def rank_words(documents: list[list[str]]) -> tuple[list[tuple[str, int]], int]:
    """All words with their counts, most frequent first (ties alphabetical), and the total token count."""
    counter = collections.Counter()
    for doc in documents:
        counter.update(doc)
    total = sum(counter.values())
    if total == 0:
        raise InputError("the corpus has no tokens (runs of letters a-z)")
    return sorted(counter.items(), key=lambda item: (-item[1], item[0])), total


def encode(documents: list[list[str]], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Flat array of in-vocabulary token ids and the document id of each (OOV tokens dropped)."""
    lookup = index.get
    ids_per_doc = [[i for i in map(lookup, doc) if i is not None] for doc in documents]
    lengths = np.fromiter((len(d) for d in ids_per_doc), dtype=np.int64, count=len(ids_per_doc))
    ids = np.fromiter((i for d in ids_per_doc for i in d), dtype=np.int64, count=int(lengths.sum()))
    doc_ids = np.repeat(np.arange(len(ids_per_doc), dtype=np.int64), lengths)
    return ids, doc_ids


def window_counts(ids: np.ndarray, doc_ids: np.ndarray, vocab: int, window: int) -> np.ndarray:
    """Symmetric weighted counts C_ij = sum over offsets d of (L + 1 - d) * #{pairs (i, j) at offset d}.

    One np.bincount over flat keys i * V + j per offset: O(tokens * L) work and one V^2 buffer.
    """
    total = np.zeros(vocab * vocab, dtype=np.int64)
    for offset in range(1, window + 1):
        if offset >= len(ids):
            break
        same_doc = doc_ids[:-offset] == doc_ids[offset:]
        keys = ids[:-offset][same_doc] * vocab + ids[offset:][same_doc]
        total += (window + 1 - offset) * np.bincount(keys, minlength=vocab * vocab)
    one_order = total.reshape(vocab, vocab)
    # Counting each pair in both orders = adding the transpose.
    return (one_order + one_order.T).astype(np.float64)


def _cache_key(digest: str, vocab: int, window: int) -> str:
    return hashlib.sha256(f"{digest}|V={vocab}|L={window}|format={CACHE_FORMAT}".encode()).hexdigest()[:32]


def cache_path(digest: str, vocab: int, window: int, folder: Path | None = None) -> tuple[Path, str]:
    """The cache file of a corpus's counts (by the sha256 of its bytes, V and L) and the key it must hold."""
    key = _cache_key(digest, vocab, window)
    return (folder or cache_dir()) / f"cooc-{key}.npz", key


def load_cached(path: Path, key: str, source: str, vocab: int, window: int) -> CorpusStatistics | None:
    """A cache file in `w2v-theory count`'s format (sims.data.counts_file), fully validated, holding `key`
    and exactly V words at window L with no documents dropped; None (recount) on any defect or mismatch."""
    from sims.data.counts_file import load_counts

    try:
        hit = load_counts(path, key=key)
    except InputError:
        # A corrupt, foreign or stale cache file is recomputed, never trusted.
        return None
    if hit.counts.shape != (vocab, vocab) or hit.window != window or np.any(hit.counts.sum(axis=1) <= 0):
        return None
    return dataclasses.replace(hit, source=source, cached=True)


def store_cached(path: Path, key: str, stats) -> None:
    """Write counts (CorpusStatistics or sims.data.counting.CorpusCounts) to the cache, atomically
    (sims.data.counts_file.save_counts); an unwritable cache only costs a recount next time."""
    from sims.data.counts_file import save_counts

    try:
        save_counts(path, stats, key=key)
    except (OSError, InputError):
        pass


def _integer(value, minimum: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def corpus_statistics(corpus: str | Path | None = None, vocab: int = 2000, window: int = 16, *,
                      cache: bool = True, cache_folder: Path | None = None) -> CorpusStatistics:
    """Count (or load from the cache) the windowed co-occurrences of `corpus`'s top-`vocab` words.

    The cache file is keyed by the sha256 of the corpus bytes and (V, L), so an edited corpus is recounted.
    """
    vocab = _integer(vocab, 2, "vocabulary size")
    window = _integer(window, 1, "window")
    path = default_corpus() if corpus is None else Path(corpus)
    start = time.perf_counter()
    raw = _read_corpus(path)
    if not raw.strip():
        raise InputError(f"corpus {str(path)!r} is empty")
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    path_in_cache, key = cache_path(digest, vocab, window, cache_folder)
    if cache and path_in_cache.is_file():
        hit = load_cached(path_in_cache, key, str(path), vocab, window)
        if hit is not None:
            return hit
    documents = tokenize(raw)
    ranked, total = rank_words(documents)
    if vocab > len(ranked):
        raise InputError(f"vocabulary size V={vocab} exceeds the {len(ranked)} distinct words in the corpus")
    # A word that never has an in-vocabulary neighbour (e.g. only in one-word lines) has an all-zero
    # row, where M* is undefined: skip it and take the next most frequent word, until every row counts.
    excluded: set[str] = set()
    for _ in range(MAX_VOCABULARY_PASSES):
        chosen = [(w, c) for w, c in ranked if w not in excluded][:vocab]
        if len(chosen) < vocab:
            raise InputError(f"only {len(chosen)} words of the corpus co-occur with another within the window; "
                             f"V={vocab} is too large")
        words = [w for w, _ in chosen]
        ids, doc_ids = encode(documents, {w: i for i, w in enumerate(words)})
        counts = window_counts(ids, doc_ids, vocab, window)
        lonely = np.flatnonzero(counts.sum(axis=1) == 0)
        if lonely.size == 0:
            break
        excluded.update(words[i] for i in lonely)
    else:
        raise InputError(f"could not find {vocab} words that each co-occur with another; use a smaller V")
    word_counts = np.array([c for _, c in chosen], dtype=np.float64)
    stats = CorpusStatistics(counts=counts, vocab=words, word_counts=word_counts, tokens=total,
                             kept_tokens=len(ids), documents=sum(1 for d in documents if d), window=window,
                             source=str(path), seconds=time.perf_counter() - start, cached=False)
    if cache:
        store_cached(path_in_cache, key, stats)
    return stats


def in_vocabulary_documents(corpus: str | Path | None, vocab: list[str]) -> list[list[str]]:
    """The corpus as token lists with OOV words removed (the stream the counts were taken from)."""
    path = default_corpus() if corpus is None else Path(corpus)
    keep = set(vocab)
    return [[t for t in doc if t in keep] for doc in tokenize(_read_corpus(path))]
