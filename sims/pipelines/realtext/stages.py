"""The real-text study's on-disk stage cache: counts, spectra and trained models, each keyed by its inputs.

Every stage is one `.npz` file (np.savez, no pickles) under `cache_dir() / "realtext"` (sims.corpus.cache_dir:
$W2V_THEORY_CACHE, else ~/.cache/w2v-theory), named by its key: a sha256 of everything the stage depends
on (the corpus bytes or counts file, V, L, the stage's parameters and STAGE_FORMAT). A file is written to a
temporary name and renamed (atomic: a concurrent or interrupted run never leaves half a file), and read
back only after validation: its stored key must equal the one asked for and every array must have the
expected shape, dtype and finite values; anything else is treated as absent and the stage recomputed.
Counts use the `w2v-theory count` format (sims.data.counts_file) in the same cache folder as
sims.corpus.corpus_statistics, so the two share counted corpora.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

# Bump when what a stage stores, or how it is computed, changes: old files are then never reused.
STAGE_FORMAT = 1
HASH_BLOCK = 1 << 22


def file_digest(paths) -> str:
    """sha256 of the bytes of one file, or of (name, size, bytes) of each of several files in order."""
    paths = [Path(p) for p in paths]
    digest = hashlib.sha256()
    if len(paths) == 1:
        with open(paths[0], "rb") as stream:
            for block in iter(lambda: stream.read(HASH_BLOCK), b""):
                digest.update(block)
        return digest.hexdigest()
    for path in paths:
        digest.update(f"{path.name}|{path.stat().st_size}|".encode())
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(HASH_BLOCK), b""):
                digest.update(block)
    return digest.hexdigest()


def stage_key(stage: str, **inputs) -> str:
    """A 32-hex-digit key for `stage` from its JSON-able inputs (sorted, with STAGE_FORMAT)."""
    text = json.dumps({"stage": stage, "format": STAGE_FORMAT, **inputs}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class StageCache:
    """One folder of stage files; `enabled=False` reads and writes nothing (every stage recomputed)."""

    def __init__(self, folder: Path | None = None, enabled: bool = True):
        from sims.corpus import cache_dir

        self.folder = Path(folder) if folder is not None else cache_dir() / "realtext"
        self.enabled = enabled
        self.hits: list[str] = []
        self.misses: list[str] = []

    def path(self, stage: str, key: str) -> Path:
        return self.folder / f"{stage}-{key}.npz"

    def load(self, stage: str, key: str, expect: dict) -> dict | None:
        """The arrays stored for (stage, key) when the file exists and validates against `expect`, else None.

        `expect` maps each array name to (dtype kind(s), shape), a shape entry None meaning any length.
        """
        if not self.enabled:
            return None
        path = self.path(stage, key)
        if not path.is_file():
            self.misses.append(stage)
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if "key" not in data.files or str(data["key"]) != key:
                    raise ValueError("key mismatch")
                arrays = {}
                for name, (kinds, shape) in expect.items():
                    value = data[name]
                    if value.dtype.kind not in kinds or value.ndim != len(shape) or any(
                            want is not None and got != want for got, want in zip(value.shape, shape)):
                        raise ValueError(f"{name}: dtype {value.dtype} shape {value.shape}")
                    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                        raise ValueError(f"{name}: non-finite values")
                    arrays[name] = value
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            # A corrupt, foreign or stale file is recomputed, never trusted.
            self.misses.append(stage)
            return None
        self.hits.append(stage)
        return arrays

    def store(self, stage: str, key: str, arrays: dict) -> None:
        """Write `arrays` (+ the key) atomically; an unwritable cache only costs a recomputation next time."""
        if not self.enabled:
            return
        path = self.path(stage, key)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, key=np.array(key), **arrays)
            os.replace(tmp, path)
        except OSError:
            pass
        finally:
            if tmp.exists():
                tmp.unlink()
