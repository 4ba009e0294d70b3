"""One cell of a map: its store key and seed (from the map seed and parameter values), and the function a worker runs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from sims.maps.grid import canonical

__all__ = ["CellTask", "cell_key", "cell_seed", "run_cell", "limit_threads", "COMPARED_FIELDS", "THREAD_VARIABLES"]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# What two runs of the same cell must agree on (everything but the time it took).
COMPARED_FIELDS = ("key", "map", "claim", "params", "seed_index", "seed", "status", "reason", "beyond", "error",
                   "bound", "ratio", "class", "value", "what")


@dataclass(frozen=True)
class CellTask:
    """Everything a worker needs to compute one cell for one seed (plain data: it travels to Dask workers)."""

    module: str
    map_id: str
    params: tuple          # ((name, value), ...) in the map's parameter order, panel last
    seed_index: int
    seed: int
    key: str


def _coordinates(map_id: str, params: tuple) -> str:
    return map_id + "|" + ";".join(f"{name}={canonical(value)}" for name, value in params)


def cell_seed(map_seed: int, map_id: str, params: tuple, seed_index: int) -> int:
    """A 32-bit seed from SeedSequence([map seed, seed index, hash of the parameter values]).

    It depends only on the values, not on the cell's position in the grid, so a finer grid that contains
    a value gets the same seed there, and no worker count or completion order can change it.
    """
    digest = hashlib.sha256(_coordinates(map_id, params).encode()).digest()
    words = np.frombuffer(digest[:16], dtype=np.uint32).tolist()
    return int(np.random.SeedSequence([int(map_seed), int(seed_index), *words]).generate_state(1)[0])


def cell_key(spec, params: tuple, seed_index: int, map_seed: int) -> str:
    """The store key: a hash of the map (id, version, settings), the parameter values, seed index and map seed."""
    identity = {"map": spec.id, "version": spec.version, "settings": spec.settings,
                "cell": _coordinates(spec.id, params), "seed_index": int(seed_index), "map_seed": int(map_seed)}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:32]


def limit_threads() -> None:
    """One BLAS / OpenMP / torch thread in this process (workers share the cores with each other)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def _finite(x):
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _ratio(measurement, bound):
    """error / bound as `evaluate` compares them: a zero bound (exact counts) gives 0 for no error, inf otherwise."""
    if measurement is None or bound is None or not math.isfinite(measurement.error) or bound != bound:
        return None
    if bound > 0:
        return measurement.error / bound
    return 0.0 if measurement.error <= 0 else math.inf


def _beyond(spec, claim, case, outcome):
    """Where the hypotheses fail, measure anyway (spec.beyond or the claim's own measure) and keep "not applicable"."""
    from sims.claims.registry import Outcome, evaluate

    unconditional = dataclasses.replace(claim, hypotheses=(), measure=spec.beyond or claim.measure)
    try:
        measured = evaluate(unconditional, case)
    except Exception as exc:  # noqa: BLE001 - a measurement past the hypotheses may be impossible
        return Outcome(claim, "not applicable", reason=f"{outcome.reason} (no measurement: {exc})"), False
    return Outcome(claim, "not applicable", measured.measurement, measured.bound, reason=outcome.reason,
                   measurements=measured.measurements), True


def _safely(function, case, outcome, fallback):
    if function is None:
        return fallback
    try:
        return function(case, outcome)
    except Exception as exc:  # noqa: BLE001 - a cell whose class cannot be read is recorded as such
        return f"unreadable ({type(exc).__name__})" if isinstance(fallback, str) or fallback is None else math.nan


def run_cell(task: CellTask) -> dict:
    """Build the cell's case, evaluate the claim (and past its hypotheses), classify; return the record."""
    from sims.claims.registry import evaluate, get
    from sims.maps.registry import load_spec

    limit_threads()
    start = time.perf_counter()
    spec = load_spec(task.module, task.map_id)
    claim = get(spec.claim)
    case = spec.case_factory(dict(task.params), task.seed)
    outcome = evaluate(claim, case)
    beyond = False
    if outcome.status == "not applicable":
        outcome, beyond = _beyond(spec, claim, case, outcome)
    m = outcome.measurement
    ratio = _ratio(m, outcome.bound)
    value = _safely(spec.value, case, outcome, ratio)
    return {"key": task.key, "map": spec.id, "claim": claim.id, "params": dict(task.params),
            "seed_index": task.seed_index, "seed": task.seed, "status": outcome.status, "reason": outcome.reason,
            "beyond": beyond, "error": None if m is None else _finite(m.error),
            "bound": _finite(outcome.bound), "ratio": None if ratio is None else _finite(ratio),
            "class": _safely(spec.classify, case, outcome, None), "value": _finite(value) if value is not None else None,
            "what": "" if m is None else m.what, "elapsed_s": round(time.perf_counter() - start, 4)}
