"""THEORY §4/§8 claim on GD's stability limit, measured on a GdCase: one full-batch GD run at one learning rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sims.claims.registry import Hypothesis, Measurement, register
from theory.predictions import ClosedForm

__all__ = ["GdCase", "gd_plan_steps", "orbit_period", "gd_outcome", "BOUNDARY_MARGIN", "OUTCOMES"]

# Within 2 % of eta c = 2 the slowest multiplier |1 - eta c| is >= 0.96: convergence (or escape) then takes
# hundreds of steps per decade and a finite run cannot tell the sides apart reliably; the claim is not made there.
BOUNDARY_MARGIN = 0.02
MAX_STEPS = 20000
# Records read at the end of a run to find its period (1, 2, 4 or 8 steps), and the match they need,
# relative to lam_1 (s_k^2 values; a converging 2-cycle near the bifurcation is matched well within this).
PERIOD_WINDOW = 64
PERIOD_TOLERANCE = 1e-4
# Learning phase: the slowest mode's linear GD growth from its QR strength, times this margin.
LEARN_MARGIN = 1.5
# Relaxation: shrink an O(1) deviation to 1e-6 (below converged_gram's 1e-3) when stable; when unstable,
# let a rounding-level deviation (1e-16 relative) grow to O(1e-3): 13 decades.
RELAX_DECADES, ESCAPE_DECADES = 6.0, 13.0
OUTCOMES = ("converges", "stalled", "period-2", "period-4/8", "irregular", "diverged")


def _relaxation_factor(prediction: ClosedForm, lr: float) -> float:
    """max |1 - eta r| over the flow's relaxation rates at the minimiser (ClosedForm.stiffest_rate's argument)."""
    lam = prediction.learned_eigenvalues
    below = float(prediction.eigenvalues[prediction.learned_modes]) if len(prediction.eigenvalues) > len(lam) else 0.0
    rates = [lam[0], lam[-1], 0.5 * (lam[-1] - below), prediction.stiffest_rate]
    return float(max(abs(1.0 - lr * r) for r in rates))


def gd_plan_steps(prediction: ClosedForm, initial: np.ndarray, lr: float) -> int:
    """Steps to learn every mode (GD's per-step growth (1 + eta lam/2)^2) and then relax or visibly escape."""
    lam = prediction.learned_eigenvalues
    growth = 2.0 * np.log1p(lr * lam / 2.0)
    learn = float(np.max(np.log(lam / prediction.random_initial_strengths(initial)) / growth)) * LEARN_MARGIN
    rho = _relaxation_factor(prediction, lr)
    decades = RELAX_DECADES if rho < 1.0 else ESCAPE_DECADES
    settle = decades * np.log(10.0) / max(abs(np.log(rho)), 1e-12)
    return int(min(MAX_STEPS, np.ceil(learn + settle) + PERIOD_WINDOW))


def orbit_period(values: np.ndarray, tolerance: float) -> int | None:
    """The smallest p in 1, 2, 4, 8 with |x_(n+p) - x_n| <= tolerance over the records given (None: no period)."""
    for p in (1, 2, 4, 8):
        if len(values) > p and float(np.max(np.abs(values[p:] - values[:-p]))) <= tolerance:
            return p
    return None


@dataclass
class GdCase:
    """One target, one W(0) and one learning rate; full-batch GD (float64, CPU, every step recorded) runs on first use."""

    prediction: ClosedForm
    initial: np.ndarray = field(repr=False)
    lr: float
    steps: int | None = None
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"GdCase(V={self.prediction.size}, d={self.prediction.dim}, eta c={self.eta_c:.4g})"

    @property
    def eta_c(self) -> float:
        """eta max(lam_1, (lam_1 - lam_min) / 2): the claim's control parameter (converges iff < 2)."""
        return float(self.lr * self.prediction.stiffest_rate)

    @cached_property
    def planned_steps(self) -> int:
        return int(self.steps) if self.steps else gd_plan_steps(self.prediction, self.initial, self.lr)

    @cached_property
    def result(self):
        from sims.simulators.gd import run_gd

        return run_gd(self.prediction, self.initial, self.lr, self.planned_steps, record_every=1, dtype="float64",
                      device="cpu")

    @cached_property
    def converged(self) -> bool:
        """Measured: GD ended at the eigen-truncation (run_gd's flag also requires eta lam_1 < 2; this does not)."""
        from sims.simulators.trajectory import is_converged

        return not self.result.diverged and is_converged(self.prediction, self.result.embeddings)

    @cached_property
    def period(self) -> int | None:
        tail = self.result.singular_values[-PERIOD_WINDOW:] ** 2
        return orbit_period(tail, PERIOD_TOLERANCE * float(self.prediction.eigenvalues[0]))


def gd_outcome(case: GdCase) -> str:
    """What GD did (one of OUTCOMES): converged, escaped, or settled on an orbit of period 1, 2, 4/8 or none."""
    if case.result.diverged:
        return "diverged"
    if case.converged:
        return "converges"
    return {1: "stalled", 2: "period-2", 4: "period-4/8", 8: "period-4/8"}.get(case.period, "irregular")


def _clear_of_boundary(case) -> str | None:
    distance = abs(case.eta_c / 2.0 - 1.0)
    if distance >= BOUNDARY_MARGIN:
        return None
    return f"eta c = {case.eta_c:.4g} is within {BOUNDARY_MARGIN:.0%} of the limit 2"


def _enough_steps(case) -> str | None:
    if case.steps or case.planned_steps < MAX_STEPS:
        return None
    return f"deciding convergence would take more than {MAX_STEPS} steps (slowest multiplier near 1)"


CLEAR_OF_BOUNDARY = Hypothesis("clear of the stability limit", _clear_of_boundary)
ENOUGH_STEPS = Hypothesis("decidable run length", _enough_steps)


@register("GD-STABLE", "full-batch GD from a small random init converges to the eigen-truncation iff "
                       "eta max(lam_1, (lam_1 - lam_min) / 2) < 2",
          source="THEORY §4 (GD converges iff eta lam_1 < 2) and §8 (refined by the negative direction)",
          tolerance="exact_count", section=4, hypotheses=(CLEAR_OF_BOUNDARY, ENOUGH_STEPS))
def gd_stable(case: GdCase) -> Measurement:
    predicted = case.eta_c < 2.0
    measured = case.converged
    return Measurement(float(predicted != measured), predicted=predicted, measured=measured,
                       what=f"GD {'converged' if measured else 'did not converge (' + gd_outcome(case) + ')'} after "
                            f"{case.planned_steps} steps at eta c = {case.eta_c:.4g}; predicted "
                            f"{'convergence' if predicted else 'no convergence'}")
