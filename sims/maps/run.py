"""Run one map end to end: grid -> sweep (stored cells reused) -> MapResult, and write its files via a staging folder."""

from __future__ import annotations

import time

from sims.io import staged_output
from sims.maps.grid import default_grid
from sims.maps.result import MapResult
from sims.maps.sweep import sweep

__all__ = ["run_map", "write_map"]


def run_map(spec, grid: dict | None = None, *, out, seeds: int | None = None, map_seed: int = 0, client=None,
            progress: bool = True, on_record=None) -> MapResult:
    """Sweep `spec` over `grid` (default: its own) with `seeds` per cell (default: the spec's); cells live in out/.cells."""
    grid = default_grid(spec) if grid is None else grid
    seeds = spec.seeds if seeds is None else int(seeds)
    start = time.perf_counter()
    records = sweep(spec, grid, seeds=seeds, map_seed=map_seed, out=out, client=client, progress=progress,
                    on_record=on_record)
    timing = {"wall_s": round(time.perf_counter() - start, 3),
              "cell_s": round(sum(r.get("elapsed_s") or 0.0 for r in records), 3)}
    return MapResult(spec, grid, seeds, map_seed, records, timing)


def write_map(result: MapResult, out) -> list:
    """MAP_ID.png, .json and .npz into `out`, all or nothing (sims.io.staged_output); returns the final paths."""
    with staged_output(out) as staging:
        names = [path.name for path in result.write(staging)]
    return [out / name for name in names]
