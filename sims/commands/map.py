"""`w2v-theory map`: validity maps — sweep a claim over its parameters on Dask and draw where it holds and breaks."""

from __future__ import annotations

import time
from pathlib import Path

from sims.commands._common import nonnegative_int, positive_int, require

NAME = "map"
ORDER = 60
DEFAULT_WORKERS = 2
HELP = "validity maps: where each claim holds and where it breaks (THEORY §8), swept on Dask"
DESCRIPTION = """\
Sweep one registered claim or conjecture over one or two parameters and draw a heatmap of where it
holds, where it breaks and how (failure classes such as diverged, period-2, steps merged), with the
boundaries THEORY §8 predicts drawn on top. Each cell records error / tolerance, pass / fail / not
applicable (outside the claim's hypotheses, measured anyway) and its failure class.

Cells run as Dask tasks: by default on a LocalCluster of --workers one-thread processes started here
(--workers 0: in this process, no Dask), or with --scheduler on an existing Dask cluster. A cell's seed
derives from --seed and the cell's parameter values, so the map is the same whatever the number of
workers. Finished cells are stored one file each in DIR/.cells/MAP_ID/ as they complete: an interrupted
map resumes where it stopped, and a finer grid reuses every cell it already has. The figure and tables
(DIR/MAP_ID.png, .json, .npz) are written at the end, all or nothing.

Grids: --grid PARAM=v1,v2,... or PARAM=lo:hi:n (linear) or PARAM=lo:hi:nlog (geometric), repeatable;
parameters not given keep the map's default grid (see --list).

examples:
  w2v-theory map --list
  w2v-theory map gd-stability --out maps
  w2v-theory map qr-error --grid sigma=1e-8:1e-1:15log --grid gap=0.02:0.6:15log --out maps
  w2v-theory map sgd-subspace --grid size=200,500 --grid sampler=pairs --workers 2 --out maps
  w2v-theory map order --scheduler tcp://10.0.0.5:8786 --out maps
  w2v-theory map --all --out maps
"""


def add_arguments(parser) -> None:
    parser.add_argument("map_id", nargs="?", metavar="MAP_ID", help="the map to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the shipped maps, their claims and parameters")
    parser.add_argument("--all", action="store_true", help="run every shipped map at its default grid")
    parser.add_argument("--grid", action="append", default=[], metavar="PARAM=VALUES",
                        help="PARAM=v1,v2,... | PARAM=lo:hi:n | PARAM=lo:hi:nlog (repeatable)")
    parser.add_argument("--seeds", type=positive_int, default=None, metavar="N",
                        help="seeds per cell (default: the map's own)")
    parser.add_argument("--seed", type=nonnegative_int, default=0, metavar="S", help="map seed (default 0)")
    parser.add_argument("--workers", type=nonnegative_int, default=None, metavar="N",
                        help="LocalCluster worker processes, one thread each (default 2; 0 = in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on an existing Dask scheduler (e.g. tcp://host:8786) instead of a LocalCluster")
    parser.add_argument("--out", metavar="DIR", default="w2v-maps", help="output folder (default ./w2v-maps)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _list() -> int:
    from sims.claims.registry import get
    from sims.maps import all_maps

    for spec in all_maps():
        claim = get(spec.claim)
        print(f"{spec.id:<18} {claim.kind} {claim.id}: {spec.title}")
        for p in spec.parameters:
            values = ", ".join(f"{v:g}" for v in p.default)
            print(f"{'':<20}{p.name} ({p.scale}): {values}")
        if spec.panel is not None:
            print(f"{'':<20}{spec.panel.name}: {', '.join(spec.panel.values)}")
    return 0


def _plans(args) -> list:
    """[(spec, grid)] for the requested maps, every grid validated (InputError before anything is written)."""
    from sims.maps import all_maps, get_map
    from sims.maps.grid import default_grid, parse_grid

    require(bool(args.map_id) != bool(args.all), "give one MAP_ID or --all (see --list)")
    require(not (args.all and args.grid), "--grid applies to one map, not to --all")
    require(not (args.scheduler and args.workers is not None), "--workers starts a LocalCluster; with --scheduler "
                                                               "the cluster's own workers run the cells")
    if args.all:
        return [(spec, default_grid(spec)) for spec in all_maps()]
    spec = get_map(args.map_id)
    return [(spec, parse_grid(spec, args.grid))]


def _summary(result, paths, seconds: float) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.payload()["status_counts"].items()))
    classes = ", ".join(f"{n} {c}" for c, n in sorted(result.payload()["class_counts"].items()))
    return (f"{result.spec.id}: {len(result.records)} cells ({counts}; {classes}) in {seconds:.1f} s -> "
            f"{paths[-1]}")


def run(args) -> int:
    from sims.io import check_output_dir
    from sims.maps.cluster import dask_client
    from sims.maps.run import run_map, write_map

    if args.list:
        return _list()
    plans = _plans(args)
    out = check_output_dir(Path(args.out))
    workers = DEFAULT_WORKERS if args.workers is None else args.workers
    with dask_client(workers, args.scheduler) as client:
        for spec, grid in plans:
            start = time.perf_counter()
            result = run_map(spec, grid, out=out, seeds=args.seeds, map_seed=args.seed, client=client,
                             progress=not args.quiet)
            paths = write_map(result, out)
            print(_summary(result, paths, time.perf_counter() - start), flush=True)
    return 0
