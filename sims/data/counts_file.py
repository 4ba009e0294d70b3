"""The `.npz` file of a corpus's co-occurrence counts: written atomically, read back only after full validation.

Keys (np.savez, no pickles): format (int), counts (V x V int64, symmetric, >= 0), vocab (V unicode
strings, most frequent first), word_counts (V int64), tokens, kept_tokens, documents, window,
min_document_tokens (ints) and source (a string); a cache file (sims.corpus, the real-text study's stages)
adds cache_key (a string), which load_counts(path, key=...) requires to match.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from sims.corpus import CorpusStatistics
from theory.validation import InputError

FORMAT = 1
SCALARS = ("tokens", "kept_tokens", "documents", "window", "min_document_tokens")
KEYS = ("format", "counts", "vocab", "word_counts", "source") + SCALARS


def save_counts(path, counts, *, key: str | None = None) -> Path:
    """Write a sims.data.counting.CorpusCounts (or anything with its fields; float counts must be exact
    integers) to `path` (.npz) atomically: a partial file never appears. `key` is stored as cache_key."""
    path = Path(path)
    if path.suffix != ".npz":
        raise InputError(f"counts file {str(path)!r} must end in .npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.npz")
    try:
        extra = {} if key is None else {"cache_key": np.array(str(key))}
        np.savez(tmp, format=np.int64(FORMAT), counts=np.ascontiguousarray(counts.counts, dtype=np.int64),
                 vocab=np.array(counts.vocab, dtype=np.str_), word_counts=np.asarray(counts.word_counts, np.int64),
                 source=np.array(str(counts.source)),
                 **{name: np.int64(getattr(counts, name, 0)) for name in SCALARS}, **extra)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_counts(path, *, key: str | None = None) -> CorpusStatistics:
    """Read and validate a counts file; any defect is a one-line InputError.

    With `key`, the file must also hold cache_key == key (a cache file of exactly these inputs).

    Returns sims.corpus.CorpusStatistics, whose counts and word_counts are float64 (exact integers
    converted from the file's int64), so downstream code sees what corpus_statistics gives it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"counts file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [name for name in KEYS if name not in data.files]
            if missing:
                raise InputError(f"counts file {str(path)!r} lacks {', '.join(missing)}")
            arrays = {name: data[name] for name in KEYS}
            if key is not None:
                stored = str(data["cache_key"]) if "cache_key" in data.files else None
                if stored != key:
                    raise InputError(f"counts file {str(path)!r} is not the cache entry for key {key}")
    except InputError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"counts file {str(path)!r} is corrupt or not a counts file: {reason}") from None
    _check(arrays, str(path))
    return CorpusStatistics(
        counts=arrays["counts"].astype(np.float64), vocab=[str(w) for w in arrays["vocab"]],
        word_counts=arrays["word_counts"].astype(np.float64), tokens=int(arrays["tokens"]),
        kept_tokens=int(arrays["kept_tokens"]), documents=int(arrays["documents"]),
        window=int(arrays["window"]), source=str(arrays["source"]), seconds=0.0, cached=True)


def _check(a: dict, where: str) -> None:
    def fail(reason: str):
        raise InputError(f"counts file {where!r}: {reason}")

    for name in ("format",) + SCALARS:
        if a[name].shape != () or a[name].dtype.kind not in "iu":
            fail(f"{name} must be one integer")
    if int(a["format"]) != FORMAT:
        fail(f"format {int(a['format'])} is not the supported format {FORMAT}")
    counts, vocab, word_counts = a["counts"], a["vocab"], a["word_counts"]
    if counts.dtype.kind not in "iu":
        fail(f"counts must be integers, got dtype {counts.dtype}")
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        fail(f"counts must be a square V x V matrix with V >= 2, got shape {counts.shape}")
    size = counts.shape[0]
    if vocab.dtype.kind != "U" or vocab.shape != (size,):
        fail(f"vocab must be {size} strings, got dtype {vocab.dtype} and shape {vocab.shape}")
    if len(set(vocab.tolist())) != size:
        fail("vocab has repeated words")
    if word_counts.dtype.kind not in "iu" or word_counts.shape != (size,):
        fail(f"word_counts must be {size} integers, got dtype {word_counts.dtype} and shape {word_counts.shape}")
    if a["source"].shape != () or a["source"].dtype.kind != "U":
        fail("source must be one string")
    if (counts < 0).any() or (word_counts < 0).any():
        fail("counts and word_counts must be non-negative")
    if not _symmetric(counts):
        fail("counts are not symmetric")
    if int(a["window"]) < 1 or int(a["min_document_tokens"]) < 0:
        fail("window must be >= 1 and min_document_tokens >= 0")
    if not 0 <= int(a["kept_tokens"]) <= int(a["tokens"]) or int(a["documents"]) < 0:
        fail("tokens, kept_tokens and documents are inconsistent (need 0 <= kept_tokens <= tokens)")


def _symmetric(counts: np.ndarray, rows: int = 512) -> bool:
    # Block by block: comparing with the whole transpose at once would need a V x V temporary.
    for start in range(0, counts.shape[0], rows):
        if not np.array_equal(counts[start:start + rows], counts[:, start:start + rows].T):
            return False
    return True
