"""THEORY §4 claims on full-batch GD (sims.simulators.gd) against the flow: O(eta) convergence, stability threshold.

Each case is one target's closed form and one W(0); the measurement runs GD (and, for the rate, the ODE on
GD's record times) on the case's device and dtype, so the same claim checks the CPU and the CUDA backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sims.claims.rates import log_log_slope
from sims.claims.registry import Hypothesis, Measurement, register, require
from theory.predictions import ClosedForm

__all__ = ["GdRateCase", "GdStabilityCase", "GD_RATE_FRACTIONS", "GD_RATE_MAX_ETA_LAMBDA"]

# eta lam_1 for the rate: a geometric ladder up to 0.08, where the slope is 1 + O(eta lam_1) = 1 +- 0.1
# (tolerance gd_rate_slope).
GD_RATE_FRACTIONS = (0.01, 0.02, 0.04, 0.08)
GD_RATE_MAX_ETA_LAMBDA = 0.08
# The stiff negative direction sets GD's limit instead of lam_1 once (lam_1 - lam_min)/2 > lam_1, i.e. lam_min < -lam_1
# (ClosedForm.stiffest_rate; the validity map gd-stability puts the measured crossover there too).
NEGATIVE_LIMIT_RATIO = 1.0


def _describe(prediction: ClosedForm) -> str:
    values = np.linalg.eigvalsh(prediction.target)
    return (f"V={prediction.size}, d={prediction.dim}, lam_1..lam_m={np.round(prediction.learned_eigenvalues, 4)}, "
            f"lam_min={values[0]:.4g}")


@dataclass(frozen=True)
class GdRateCase:
    """A target's closed form, W(0), the learning rates as eta lam_1, and the backend GD runs on."""

    prediction: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    fractions: tuple = GD_RATE_FRACTIONS
    device: str = "cpu"
    dtype: str = "float64"
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"GdRateCase({_describe(self.prediction)}, eta lam_1 in {self.fractions}, {self.device})"

    @property
    def learning_rates(self) -> np.ndarray:
        return np.asarray(self.fractions, dtype=float) / float(self.prediction.eigenvalues[0])

    @property
    def horizon(self) -> float:
        """The last QR-predicted step plus 8 e-folds of the slowest learned mode: every step is on the record."""
        p = self.prediction
        return float(p.random_step_times(self.initial).max()) + 8.0 / float(p.learned_eigenvalues[-1])


def _small_rates(case) -> str | None:
    fractions = np.asarray(case.fractions, dtype=float)
    if fractions.size < 2 or len(set(fractions.tolist())) < 2:
        return f"needs at least two distinct learning rates, got eta lam_1 = {case.fractions}"
    if np.any(fractions <= 0) or fractions.max() > GD_RATE_MAX_ETA_LAMBDA:
        return f"eta lam_1 = {fractions.max():g} outside (0, {GD_RATE_MAX_ETA_LAMBDA:g}] (the first-order regime)"
    return None


def _small_init(case) -> str | None:
    ratio = case.prediction.random_initial_strengths(case.initial) / case.prediction.learned_eigenvalues
    return None if np.all(ratio < 0.5) else f"mode {int(np.argmax(ratio)) + 1} starts at {ratio.max():.3g} lam"


SMALL_RATES = Hypothesis("at least two learning rates, all with eta lam_1 <= 0.08", _small_rates)
SMALL_INIT = Hypothesis("small init (every mode starts below half height)", _small_init)


def gd_vs_ode_error(prediction: ClosedForm, w0: np.ndarray, lr: float, t_end: float, device: str = "cpu",
                    dtype: str = "float64") -> float:
    """max over GD's records of |s_k^2(GD, t = eta n) - s_k^2(ODE, t)| / lam_1."""
    from sims.simulators.gd import run_gd
    from sims.simulators.ode import run_ode

    steps = int(round(t_end / lr))
    gd = run_gd(prediction, w0, lr, steps, record_every=max(1, steps // 200), dtype=dtype, device=device)
    ode = run_ode(prediction, w0, float(gd.times[-1]), times=gd.times)
    return float(np.max(np.abs(gd.singular_values ** 2 - ode.singular_values ** 2))) / float(prediction.eigenvalues[0])


@register("GD-RATE", "full-batch GD's trajectory (at t = eta n) stays within O(eta) of the flow's from the same small "
                     "W(0): the max distance of s_k^2 over the run has log-log slope 1 in eta, overall and between "
                     "consecutive rates, for eta lam_1 <= 0.08",
          source="THEORY §4 (GD follows the flow with an O(eta) delay)", tolerance="gd_rate_slope", section=4,
          hypotheses=(SMALL_INIT, SMALL_RATES))
def gd_rate(case: GdRateCase) -> list:
    etas = case.learning_rates
    errors = np.array([gd_vs_ode_error(case.prediction, case.initial, lr, case.horizon, case.device, case.dtype)
                       for lr in etas])
    require(np.all(errors > 0), "GD differs from the flow at every eta", measured=errors)
    slope = log_log_slope(etas, errors)
    local = np.array([log_log_slope(etas[i:i + 2], errors[i:i + 2]) for i in range(len(etas) - 1)])
    return [Measurement(abs(slope - 1.0), 1.0, slope,
                        what=f"log-log slope of max trajectory error vs eta (errors {np.round(errors, 6)})"),
            Measurement(float(np.max(np.abs(local - 1.0))), 1.0, local, what="each consecutive log-log slope")]


@dataclass(frozen=True)
class GdStabilityCase:
    """A target's closed form, W(0), the margin around GD's stability limit, steps per run, and the backend."""

    prediction: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    margin: float = 0.05
    steps: int = 600
    device: str = "cpu"
    dtype: str = "float64"
    label: str = ""

    def __repr__(self) -> str:
        return self.label or (f"GdStabilityCase({_describe(self.prediction)}, eta = (1 -+ {self.margin:g}) x limit, "
                              f"{self.steps} steps, {self.device} {self.dtype})")

    @property
    def eigenvalues(self) -> np.ndarray:
        """The full spectrum of M*, ascending (dense; for lam_min)."""
        return np.linalg.eigvalsh(self.prediction.target)


def _top_sets_limit(case) -> str | None:
    lam1, lam_min = float(case.prediction.eigenvalues[0]), float(case.eigenvalues[0])
    if lam_min >= -NEGATIVE_LIMIT_RATIO * lam1:
        return None
    return f"lam_min = {lam_min:.4g} < -lam_1 = {-lam1:.4g}: the negative direction sets the limit (GD-STAB-NEG)"


def _negative_sets_limit(case) -> str | None:
    lam1, lam_min = float(case.prediction.eigenvalues[0]), float(case.eigenvalues[0])
    if lam_min < -NEGATIVE_LIMIT_RATIO * lam1:
        return None
    return f"lam_min = {lam_min:.4g} >= -lam_1 = {-lam1:.4g}: lam_1 sets the limit (GD-STAB)"


def _margin(case) -> str | None:
    return None if 0 < case.margin < 0.5 else f"margin {case.margin} outside (0, 0.5)"


TOP_SETS_LIMIT = Hypothesis("lam_min >= -lam_1 (lam_1 sets GD's stability limit)", _top_sets_limit)
NEGATIVE_SETS_LIMIT = Hypothesis("lam_min < -lam_1 (the stiffest direction sets GD's limit)", _negative_sets_limit)
MARGIN = Hypothesis("a margin in (0, 1/2) around the limit", _margin)


def _run(case: GdStabilityCase, lr: float, steps: int | None = None):
    from sims.simulators.gd import run_gd

    return run_gd(case.prediction, case.initial, lr, steps or case.steps, record_every=1, device=case.device,
                  dtype=case.dtype)


@register("GD-STAB", "with lam_min >= -lam_1, full-batch GD converges to the minimiser at eta lam_1 = 2 (1 - "
                     "margin) and, at eta lam_1 = 2 (1 + margin), stays bounded on a period-2 orbit straddling the "
                     "fixed point s_1^2 = lam_1, reported as not converged because eta lam_1 >= 2",
          source="THEORY §4 (GD converges iff eta lam_1 < 2)", tolerance="converged_gram", section=4,
          hypotheses=(TOP_SETS_LIMIT, MARGIN))
def gd_stability(case: GdStabilityCase) -> Measurement:
    lam1 = float(case.prediction.eigenvalues[0])
    below = _run(case, 2 * (1 - case.margin) / lam1)
    require(below.converged and not below.diverged, f"eta lam_1 = {2 * (1 - case.margin):g} < 2 converges",
            measured=below.extra["gram_gap"])
    above = _run(case, 2 * (1 + case.margin) / lam1)
    require(not above.converged and not above.diverged,
            f"eta lam_1 = {2 * (1 + case.margin):g} > 2: bounded but not converging", measured=above.extra["reason"])
    require("lr * lam_1" in above.extra["reason"], "the reason names eta lam_1 >= 2", measured=above.extra["reason"])
    # What the flag reports is what happens: the top mode settles on a period-2 orbit around lam_1.
    top = above.singular_values[-6:, 0] ** 2
    require(abs(top[-1] - top[-2]) > 0.1 * lam1, "consecutive steps alternate (by > 0.1 lam_1)", measured=top)
    require(abs(top[-1] - top[-3]) < 1e-3 * lam1, "the orbit has period 2 (to 1e-3 lam_1)", measured=top)
    require(min(top[-1], top[-2]) < lam1 < max(top[-1], top[-2]), "the orbit straddles the fixed point lam_1",
            predicted=lam1, measured=top)
    return Measurement(float(below.extra["gram_gap"]), 0.0, below.extra["gram_gap"],
                       what=f"||WW^T - G*||_F / lam_m after {case.steps} steps at eta lam_1 = {2 * (1 - case.margin):g}")


@register("GD-STAB-NEG", "with lam_min < -lam_1, GD's stability limit is eta (lam_1 - lam_min)/2 < 2 (the "
                         "linearised multiplier 1 - eta (lam_1 - lam_min)/2 along an unlearned eigenvector), not "
                         "eta lam_1 < 2: ClosedForm.gd_stability_limit is 4/(lam_1 - lam_min), GD from a random "
                         "small init converges a margin below it and does not converge a margin above it",
          source="THEORY §4 refined: linear stability at the minimiser", tolerance="converged_gram", section=4,
          hypotheses=(NEGATIVE_SETS_LIMIT, MARGIN))
def gd_stability_negative(case: GdStabilityCase) -> list:
    lam1, lam_min = float(case.prediction.eigenvalues[0]), float(case.eigenvalues[0])
    limit = 4.0 / (lam1 - lam_min)
    reported = float(case.prediction.gd_stability_limit)
    below = _run(case, (1 - case.margin) * limit)
    require(below.converged and not below.diverged, f"{case.margin:.0%} below the refined limit GD converges",
            predicted=limit, measured=below.extra["gram_gap"])
    above = _run(case, (1 + case.margin) * limit)
    require(not above.converged, f"{case.margin:.0%} above the refined limit GD does not converge, although "
                                 f"eta lam_1 = {(1 + case.margin) * limit * lam1:.3g} < 2",
            predicted=limit, measured=above.extra["reason"])
    return [Measurement(abs(reported - limit), limit, reported, scale=limit, tolerance="identity",
                        what="ClosedForm.gd_stability_limit vs 4 / (lam_1 - lam_min)"),
            Measurement(float(below.extra["gram_gap"]), 0.0, below.extra["gram_gap"],
                        what=f"||WW^T - G*||_F / lam_m after {case.steps} steps at {1 - case.margin:g} x the limit")]
