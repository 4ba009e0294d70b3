"""The sweep engine: plan a map's cells, skip those already stored, compute the rest in-process or on Dask, store each."""

from __future__ import annotations

import itertools
import sys

from sims.maps.cells import CellTask, cell_key, cell_seed, run_cell
from sims.maps.store import CellStore

__all__ = ["plan", "sweep", "progress_bar"]


def plan(spec, grid: dict, seeds: int, map_seed: int) -> list:
    """Every (cell, seed) task of the grid, in a fixed order: panel, then last parameter, then first, then seed."""
    names = list(spec.names) + ([spec.panel.name] if spec.panel is not None else [])
    panels = grid[spec.panel.name] if spec.panel is not None else (None,)
    rows = grid[spec.names[1]] if len(spec.names) == 2 else (None,)
    tasks = []
    for panel, row, column, index in itertools.product(panels, rows, grid[spec.names[0]], range(int(seeds))):
        values = [column] + ([row] if row is not None else []) + ([panel] if panel is not None else [])
        params = tuple(zip(names, values))
        tasks.append(CellTask(spec.module, spec.id, params, index, cell_seed(map_seed, spec.id, params, index),
                              cell_key(spec, params, index, map_seed)))
    return tasks


class _Lines:
    """A stream for tqdm that ends each refresh with a newline: progress lines in logs, not one long line."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "").strip()
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(total: int, desc: str, enabled: bool = True):
    """A tqdm bar on stderr; when stderr is not a terminal, one line per refresh (at most every 10 s)."""
    from tqdm import tqdm

    terminal = sys.stderr.isatty()
    stream = sys.stderr if terminal else _Lines(sys.stderr)
    return tqdm(total=total, desc=desc, unit="cell", file=stream, disable=not enabled, mininterval=0.5 if terminal else 10,
                dynamic_ncols=terminal, ascii=not terminal)


def _serial(tasks, store, bar, on_record):
    for task in tasks:
        _finish(run_cell(task), store, bar, on_record)


def _finish(record, store, bar, on_record):
    store.save(record)
    bar.update(1)
    if on_record is not None:
        on_record(record)


def _on_dask(client, tasks, store, bar, on_record):
    from distributed import as_completed

    futures = [client.submit(run_cell, task, key=f"w2v-map-{task.key}", pure=False) for task in tasks]
    try:
        for future in as_completed(futures, loop=client.loop):
            _finish(future.result(), store, bar, on_record)
    finally:
        client.cancel([f for f in futures if not f.done()])


def sweep(spec, grid: dict, *, seeds: int, map_seed: int, out, client=None, progress: bool = True,
          on_record=None) -> list:
    """The records of every task of `plan(...)`, in plan order: stored ones are read, the rest computed and stored
    as they finish (so an interrupted sweep resumes). `client` None runs them here, one after another."""
    store = CellStore(out, spec.id)
    tasks = plan(spec, grid, seeds, map_seed)
    records = {task.key: store.load(task.key) for task in tasks}
    missing = [task for task in tasks if records[task.key] is None]
    computed = {}

    def keep(record):
        computed[record["key"]] = record
        if on_record is not None:
            on_record(record)

    with progress_bar(len(missing), spec.id, progress) as bar:
        if missing and client is None:
            _serial(missing, store, bar, keep)
        elif missing:
            _on_dask(client, missing, store, bar, keep)
    records.update(computed)
    return [records[task.key] for task in tasks]
