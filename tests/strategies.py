"""Hypothesis strategies that *construct* problems satisfying a claim's hypotheses (never filter).

Each strategy draws a small, readable description (eigenvalues, seed, ...) whose repr is what
Hypothesis prints as the minimal counterexample; the matrices are built from it deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hypothesis import strategies as st

from sims.data.synthetic import matrix_with_spectrum, planted_joint, zipf_unigram

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@dataclass(frozen=True)
class SpectralProblem:
    """A symmetric target with prescribed eigenvalues (descending) and random eigenvectors."""

    eigenvalues: tuple
    seed: int
    dim: int

    @cached_property
    def matrix(self) -> np.ndarray:
        return matrix_with_spectrum(np.asarray(self.eigenvalues), self.seed)

    @property
    def size(self) -> int:
        return len(self.eigenvalues)


def _round(x: float) -> float:
    # Short decimals keep counterexamples readable.
    return float(np.round(x, 3))


@st.composite
def spectral_problems(draw, min_size: int = 6, max_size: int = 16, min_positive: int = 1,
                      max_positive: int = 4, max_negative: int = 2, min_relative_gap: float = 0.3,
                      bulk: float = 0.05, dim=None, degenerate: bool = False, degeneracy: int = 1):
    """Targets whose top eigenvalues are separated by relative gaps >= `min_relative_gap`.

    The positive modes are built top-down, lam_{k+1} = lam_k / (1 + gap_k) with gap_k drawn in
    [min_relative_gap, 1.5]; negatives are drawn in [-4, -0.2] (they may exceed lam_d in
    magnitude); the remaining eigenvalues are a bulk of distinct values in [-bulk, bulk], below
    every positive mode by construction. `dim` defaults to the number of positive modes (so every mode is learned).
    With `degenerate`, the second positive eigenvalue repeats the first; `degeneracy` = r > 1 makes
    the top r positive eigenvalues equal (an r-fold degenerate top eigenspace; r <= max_positive).
    """
    size = draw(st.integers(min_size, max_size))
    positive = draw(st.integers(min_positive, min(max_positive, size - 2)))
    extra = max(degeneracy, 1) - 1  # repeated copies of the top eigenvalue take slots too
    positive = max(1, min(positive, size - 2 - extra))
    negative = draw(st.integers(0, min(max_negative, size - positive - extra - 1)))
    top = [_round(draw(st.floats(1.0, 4.0)))]
    for _ in range(positive - 1):
        gap = draw(st.floats(min_relative_gap, 1.5))
        top.append(_round(top[-1] / (1.0 + gap)))
    if degenerate and positive >= 2:
        top[1] = top[0]
    if extra:
        top = [top[0]] * extra + top
        positive = len(top)
    floor = min(top) / (1.0 + min_relative_gap)
    bulk = min(bulk, 0.5 * floor)
    negatives = [_round(draw(st.floats(-4.0, -0.2))) for _ in range(negative)]
    # Distinct bulk values: a truncation that reaches into the bulk (d past the positive modes) then
    # still has lam_d > lam_(d+1), so its minimiser is unique (THEORY §3: ties make it non-unique).
    rest = draw(st.lists(st.floats(-bulk, bulk).map(_round), min_size=size - positive - negative,
                         max_size=size - positive - negative, unique=True))
    eigenvalues = tuple(sorted(top + negatives + rest, reverse=True))
    chosen_dim = positive if dim is None else draw(dim) if isinstance(dim, st.SearchStrategy) else dim
    return SpectralProblem(eigenvalues=eigenvalues, seed=draw(seeds), dim=min(chosen_dim, size - 1))


@dataclass(frozen=True)
class JointProblem:
    """A valid joint distribution with planted structure: Zipfian unigram plus planted deviations."""

    size: int
    exponent: float
    strengths: tuple
    seed: int

    @cached_property
    def joint(self) -> np.ndarray:
        return planted_joint(zipf_unigram(self.size, self.exponent), self.strengths, self.seed)


@st.composite
def joint_distributions(draw, min_size: int = 5, max_size: int = 20, max_planted: int = 3):
    """Symmetric, non-negative, normalised P with positive marginals (by construction)."""
    size = draw(st.integers(min_size, max_size))
    planted = draw(st.integers(1, min(max_planted, size - 2)))
    strengths = tuple(_round(draw(st.floats(-2.0, 3.0))) for _ in range(planted))
    return JointProblem(size=size, exponent=_round(draw(st.floats(0.0, 1.5))), strengths=strengths,
                        seed=draw(seeds))


def symmetric_nonnegative(size: int, seed: int, zeros: bool = True) -> np.ndarray:
    """A random symmetric matrix with entries in [0, 1] (some exactly 0 when `zeros`)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 1.0, (size, size))
    if zeros:
        a[a < 0.2] = 0.0
    return np.triu(a) + np.triu(a, 1).T


# --- Initialisations, dynamics problems and learning rates -----------------------------------------

@dataclass(frozen=True)
class SmallInit:
    """W(0): random N(0, sigma^2) entries from `seed` (theory.predictions.random_init), or aligned.

    sigma = 10^-log10_inverse_sigma; aligned means W(0) = sigma V_d (prediction.aligned_init).
    """

    log10_inverse_sigma: float
    seed: int
    aligned: bool = False

    @property
    def sigma(self) -> float:
        return float(10.0 ** -self.log10_inverse_sigma)

    @property
    def log_inverse_sigma_sq(self) -> float:
        """L = ln(1/sigma^2), the quantity the step times grow with."""
        return float(2.0 * np.log(10.0) * self.log10_inverse_sigma)

    def matrix(self, prediction) -> np.ndarray:
        from theory.predictions import random_init

        if self.aligned:
            return prediction.aligned_init(self.sigma)
        return random_init(prediction.size, prediction.dim, self.sigma, self.seed)


def separation_exponent(eigenvalues, dim: int, separation: float, margin: float = 10.0) -> float:
    """The smallest log10(1/sigma) at which consecutive learned steps are separated by S >= `separation`.

    Step k+1 comes later than step k by ~ L (1/lam_(k+1) - 1/lam_k), i.e. S = lam_(k+1) dt = L g with
    g = 1 - lam_(k+1)/lam_k and L = ln(1/sigma^2) (THEORY §3), up to O(1) terms ln(lam/r^2 sigma^-2)
    from the random QR strengths; `margin` (in units of S) covers those (|ln chi^2_1| <= 10 except
    with probability < 1e-4). Returns 1 when no gap applies (one learned mode).
    """
    values = np.asarray(eigenvalues, dtype=float)[:dim]
    values = values[values > 0]
    if len(values) < 2:
        return 1.0
    gaps = 1.0 - values[1:] / values[:-1]
    gaps = gaps[gaps > 0]
    if len(gaps) == 0:
        return 1.0
    return float((separation + margin) / gaps.min() / (2.0 * np.log(10.0)))


@st.composite
def small_inits(draw, min_log10_inverse_sigma: float = 2.0, max_log10_inverse_sigma: float = 12.0,
                aligned: bool = False):
    """A random (or aligned) small init with log10(1/sigma) drawn in the given range (rounded to 0.5)."""
    exponent = draw(st.integers(int(2 * min_log10_inverse_sigma), int(2 * max_log10_inverse_sigma))) / 2.0
    return SmallInit(log10_inverse_sigma=exponent, seed=draw(seeds), aligned=aligned)


@dataclass(frozen=True)
class DynamicsProblem:
    """A target with a prescribed spectrum plus a small init: everything one training run needs."""

    problem: SpectralProblem
    init: SmallInit

    @cached_property
    def prediction(self):
        from theory.predictions import closed_form

        return closed_form(self.problem.matrix, self.problem.dim)

    @cached_property
    def initial(self) -> np.ndarray:
        return self.init.matrix(self.prediction)

    @cached_property
    def flow_case(self):
        """The registry's case for this problem (sims.claims.FlowCase): claims measure its ODE run."""
        from sims.claims import FlowCase

        return FlowCase(self.prediction, self.initial, label=repr(self))

    def __repr__(self) -> str:  # what Hypothesis prints as the counterexample: short and complete
        kind = "aligned" if self.init.aligned else f"init_seed={self.init.seed}"
        return (f"DynamicsProblem(eigenvalues={self.problem.eigenvalues}, dim={self.problem.dim}, "
                f"seed={self.problem.seed}, sigma=1e-{self.init.log10_inverse_sigma:g}, {kind})")


# While mode 1 saturates (entries of W ~ 1), mode m's component is only ~ sigma^(1 - lam_m/lam_1); the
# ODE's relative error control (rtol = 1e-9, sims.simulators.ode) resolves it only while that stays >~ 1e-6, a
# factor 1000 above rtol, so log10(1/sigma) (1 - lam_m/lam_1) <= ODE_RESOLUTION_DECADES.
ODE_RESOLUTION_DECADES = 6.0


def ode_resolution_exponent(eigenvalues, dim: int) -> float:
    """Largest log10(1/sigma) at which the ODE still resolves the weakest learned mode (see above)."""
    positive = [lam for lam in list(eigenvalues)[:dim] if lam > 0]
    if len(positive) < 2 or positive[-1] >= positive[0]:  # one mode, or all degenerate: nothing lags
        return float("inf")
    return ODE_RESOLUTION_DECADES / (1.0 - positive[-1] / positive[0])


@st.composite
def dynamics_problems(draw, separation: float | None = None, max_log10_inverse_sigma: float = 12.0,
                      min_log10_inverse_sigma: float = 3.0, aligned: bool = False, **spectral):
    """A spectral problem plus a small init; with `separation` = S the init is constructed small enough
    that consecutive learned steps are S apart (S >= 8 is where THEORY §3 calls steps separated),
    i.e. log10(1/sigma) >= `separation_exponent` (never filtered: sigma is computed from the gaps).
    sigma is also kept large enough for the ODE to resolve every mode (`ode_resolution_exponent`).
    `spectral` is passed on to `spectral_problems`.
    """
    problem = draw(spectral_problems(**spectral))
    lo = min_log10_inverse_sigma
    if separation is not None:
        lo = max(lo, separation_exponent(problem.eigenvalues, problem.dim, separation))
    hi = max(lo, min(max_log10_inverse_sigma, ode_resolution_exponent(problem.eigenvalues, problem.dim)))
    exponent = float(np.ceil(2 * lo) / 2 + draw(st.integers(0, int(2 * (hi - lo)))) / 2)
    return DynamicsProblem(problem, SmallInit(log10_inverse_sigma=exponent, seed=draw(seeds), aligned=aligned))


@dataclass(frozen=True)
class LearningRate:
    """eta = fraction x 2 / lam_1: `fraction` < 1 is below the GD stability bound eta lam_1 < 2."""

    fraction: float

    def value(self, top_eigenvalue: float) -> float:
        return float(self.fraction * 2.0 / top_eigenvalue)


def learning_rates(min_fraction: float = 0.005, max_fraction: float = 0.5):
    """Learning rates as fractions of the stability bound 2/lam_1 (rounded to 3 significant digits)."""
    return st.floats(min_fraction, max_fraction).map(lambda f: LearningRate(float(f"{f:.3g}")))
