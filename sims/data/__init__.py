"""Corpus data at scale: stream text, count co-occurrences exactly in parallel, store counts, generate text.

Names are imported on first use, so `import sims.data.synthetic` (the planted co-occurrence models)
does not load numba.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Shard": "reader", "corpus_files": "reader", "corpus_shards": "reader", "iter_documents": "reader",
    "CorpusCounts": "counting", "count_corpus": "counting",
    "task_runner": "parallel",
    "save_counts": "counts_file", "load_counts": "counts_file",
    "SyntheticCorpus": "synthetic_corpus", "write_synthetic_corpus": "synthetic_corpus",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'sims.data' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sims.data.{_WHERE[name]}"), name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
