"""The cases claims are measured on: one target and small W(0) with its flow, GD and SGD runs (lazily run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sims.simulators.ode import run_ode, sample_times
from sims.simulators.trajectory import SimulationResult
from theory.dynamics import (competitor_separations, plateau_midpoints, settle_time, step_separations,
                             time_to_fraction)
from theory.predictions import ClosedForm

# The flow is run past the last predicted step until the slowest relaxation (settle_time) has shrunk
# the state's distance from the minimiser by this factor: below the final_gram_random tolerance (1e-6)
# with a margin for the O(1) size of the misalignment at the last step.
FINAL_REDUCTION = 1e-9
# The QR predictor places steps to ~1 %; 10 % more flow time keeps the last step inside the run.
STEP_MARGIN = 0.1
ODE_SAMPLES = 600


def next_eigenvalue(prediction: ClosedForm) -> float:
    """lam_(m+1), the first eigenvalue not learned (0 when the computed spectrum ends at m)."""
    m = prediction.learned_modes
    return float(prediction.eigenvalues[m]) if len(prediction.eigenvalues) > m else 0.0


def flow_horizon(prediction: ClosedForm, predicted_steps: np.ndarray) -> float:
    """End of a run that claims about the final state may read: last step + margin + settle_time."""
    lam = prediction.learned_eigenvalues
    settle = settle_time(lam, next_eigenvalue(prediction), FINAL_REDUCTION)
    return float(np.max(predicted_steps)) * (1.0 + STEP_MARGIN) + settle


class PredictedSteps:
    """The QR predictor's view of a case with a `prediction` (ClosedForm) and a small `initial` W(0): strengths,
    step times and their separations, which the shared hypotheses (SMALL_INIT, separated steps, ...) read."""

    @cached_property
    def strengths(self) -> np.ndarray:
        """QR initial strengths r_k(0)^2 of the learned modes."""
        return self.prediction.random_initial_strengths(self.initial)

    @cached_property
    def predicted_steps(self) -> np.ndarray:
        """QR-predicted half-height times (InputError when the init is not small)."""
        return self.prediction.random_step_times(self.initial)

    @cached_property
    def separations(self) -> np.ndarray:
        """S_k = lam_k (t_k - t_(k-1)): e-folds between step k - 1 and step k (S_1 from t = 0)."""
        return step_separations(self.prediction.learned_eigenvalues, self.predicted_steps)

    @cached_property
    def lead_separations(self) -> np.ndarray:
        """For mode k, the e-folds by which it leads the next mode (theory.dynamics.competitor_separations)."""
        return competitor_separations(self.prediction.learned_eigenvalues, self.predicted_steps,
                                      next_eigenvalue(self.prediction))


@dataclass
class FlowCase(PredictedSteps):
    """One target M* with d, one small W(0), and the runs measured on it.

    The ODE runs on first use (to `flow_horizon`, finely sampled around every predicted step and at
    the plateau midpoints); GD and SGD results are supplied by whoever ran them (the report, a test),
    with the learning rate and plan the hypotheses of their claims need.
    """

    prediction: ClosedForm
    initial: np.ndarray = field(repr=False)
    label: str = ""
    gd: SimulationResult | None = field(default=None, repr=False)
    gd_lr: float | None = None
    sgd: SimulationResult | None = field(default=None, repr=False)
    sgd_plan: dict | None = None
    ode_result: SimulationResult | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return self.label or f"FlowCase(V={self.prediction.size}, d={self.prediction.dim})"

    @cached_property
    def t_end(self) -> float:
        return flow_horizon(self.prediction, self.predicted_steps)

    @cached_property
    def ode(self) -> SimulationResult:
        if self.ode_result is not None:
            return self.ode_result
        mids = plateau_midpoints(self.predicted_steps)
        grid = np.unique(np.concatenate([sample_times(self.prediction, self.initial, self.t_end, ODE_SAMPLES),
                                         mids[mids <= self.t_end]]))
        return run_ode(self.prediction, self.initial, self.t_end, times=grid)

    def alignment_times(self, fraction: float = 0.01) -> np.ndarray:
        """When each mode's logistic from its QR strength reaches `fraction` of lam_k."""
        return time_to_fraction(self.prediction.learned_eigenvalues, self.strengths, fraction)

    def flow_states(self, times) -> dict:
        """W(t) of the flow at each time, each integrated from W(0) (restarting from an intermediate W would
        loosen the ODE's absolute tolerance, atol = rtol x rms W(0), for the still-tiny modes)."""
        cache = self.__dict__.setdefault("_states", {})
        for t in np.unique(np.asarray(times, dtype=float)):
            if float(t) not in cache:
                cache[float(t)] = run_ode(self.prediction, self.initial, float(t), times=[float(t)]).embeddings
        return {float(t): cache[float(t)] for t in np.asarray(times, dtype=float)}
