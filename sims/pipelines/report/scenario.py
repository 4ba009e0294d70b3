"""The report's problem: the built-in planted co-occurrence problem, or the user's M* or co-occurrences."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sims.data.synthetic import planted_joint, zipf_unigram
from sims.simulators import NAMES
from theory.dynamics import default_init_scale
from theory.target import Cooccurrence, cooccurrence, target_matrix
from theory.validation import InputError, check_positive

SIMULATORS = NAMES

# The built-in problem: a planted co-occurrence model P_ij = p_i p_j (1 + sum_r a_r u_r(i) u_r(j)) with a
# Zipfian unigram. Eight planted strengths in ratio 0.8 give M* eight positive eigenvalues with relative
# gaps ~0.2; two negative strengths give large negative eigenvalues (|lam| > lam_d: never learned).
# The planted directions are part of the problem (fixed, like a data set); --seed draws W(0) and the
# SGD samples. A mild Zipf exponent keeps Setting-3.1 weights 1/(P_ij + P_i P_j) within a factor ~2
# of uniform, so pair-sampled SGD is not dominated by the rarest pairs.
PROBLEM = {"size": 200, "dim": 8, "zipf_exponent": 0.3, "ratio": 0.8, "negatives": (-0.3, -0.6), "seed": 0}
QUICK_PROBLEM = {"size": 60, "dim": 4, "zipf_exponent": 0.3, "ratio": 0.7, "negatives": (-0.3, -0.6), "seed": 0}
# The report's sigma (1e-12; its reason is beside theory.dynamics.REPORT_INIT_SCALE).
DEFAULT_INIT_SCALE = default_init_scale("report")


@dataclass(frozen=True)
class Scenario:
    """One problem: the target M*, the statistics behind it (None for a bare matrix), d, sigma, seed."""

    target: np.ndarray = field(repr=False)
    stats: Cooccurrence | None = field(repr=False)
    dim: int
    init_scale: float
    seed: int
    source: str
    negatives: float = 1.0
    description: dict = field(default_factory=dict)


def built_in_problem(quick: bool = False) -> tuple[Cooccurrence, dict]:
    """The built-in planted co-occurrence statistics and the parameters that define them."""
    spec = dict(QUICK_PROBLEM if quick else PROBLEM)
    strengths = list(spec["ratio"] ** np.arange(spec["dim"])) + list(spec["negatives"])
    joint = planted_joint(zipf_unigram(spec["size"], spec["zipf_exponent"]), strengths, seed=spec["seed"])
    spec["strengths"] = [float(s) for s in strengths]
    spec["negatives"] = list(spec["negatives"])
    return cooccurrence(joint), spec


def build_scenario(*, target=None, stats: Cooccurrence | None = None, dim: int | None = None,
                   init_scale: float | None = None, seed: int = 0, quick: bool = False, source: str | None = None,
                   negatives: float = 1.0) -> Scenario:
    """The built-in scenario when neither `target` nor `stats` is given, else the user's problem."""
    scale = check_positive(DEFAULT_INIT_SCALE if init_scale is None else init_scale, "--init-scale")
    if target is None and stats is None:
        stats, spec = built_in_problem(quick)
        target = target_matrix(stats)
        return Scenario(target, stats, spec["dim"] if dim is None else dim, scale, seed,
                        "built-in planted co-occurrence problem", 1.0, spec)
    if target is None:
        target = target_matrix(stats, negatives=negatives)
    size = target.shape[0]
    dim = min(PROBLEM["dim"], size - 1) if dim is None else dim
    return Scenario(target, stats, dim, scale, seed, source or "user matrix", negatives, {"size": size})


def parse_simulators(text: str) -> tuple:
    """'ode,gd,sgd' -> ('ode', 'gd', 'sgd') in canonical order; InputError on unknown or empty."""
    names = [part.strip().lower() for part in str(text).split(",") if part.strip()]
    unknown = sorted(set(names) - set(SIMULATORS))
    if unknown or not names:
        raise InputError(f"--methods must be a comma list of {', '.join(SIMULATORS)}, got {text!r}")
    return tuple(m for m in SIMULATORS if m in names)
