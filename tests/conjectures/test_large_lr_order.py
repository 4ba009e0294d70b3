"""Conjecture: full-batch GD far from the flow limit (eta up to 0.9 x 2/lam_1) still learns modes in eigenvalue order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given

from sims.simulators.gd import run_gd
from sims.claims.recording import check
from tests.strategies import (DynamicsProblem, LearningRate, SmallInit, SpectralProblem, dynamics_problems,
                              learning_rates)


@pytest.mark.conjecture(
    "GD with eta lam_1 in [1, 1.8] from a small random init reaches the minimiser, one mode at a time in "
    "decreasing-eigenvalue order (measured half-height times increasing in k).",
    rationale="THEORY §4 proves only the flow limit and the stability bound eta lam_1 < 2; between them GD "
              "overshoots each mode's saturation, which could reorder or merge steps (THEORY §6: finite lr).",
    id="C-LARGE-LR-ORDER",
)
# The counterexample random search found (tests/conjectures/expected.py), explicit so that every Hypothesis
# profile refutes the conjecture: lam_min = -4 < -3 lam_1 makes the stiffest rate (lam_1 - lam_min)/2 = 2.5, so
# GD is stable only for eta < 2/2.5 = 0.8, and eta = 0.5 x 2/lam_1 = 1 diverges (GD-STAB-NEG's instability).
@example(case=DynamicsProblem(SpectralProblem(eigenvalues=(1.0, 0.5, 0.25, 0.0, -1.0, -4.0), seed=0, dim=3),
                              SmallInit(log10_inverse_sigma=8.0, seed=0)),
         rate=LearningRate(fraction=0.5))
@given(case=dynamics_problems(separation=8.0, min_positive=2, max_positive=3, max_size=10,
                              max_log10_inverse_sigma=10.0),
       rate=learning_rates(min_fraction=0.5, max_fraction=0.9))
def test_large_learning_rate_keeps_order(case, rate):
    prediction = case.prediction
    lr = rate.value(prediction.learned_eigenvalues[0])
    t_end = 1.5 * float(np.max(prediction.random_step_times(case.initial))) + 40.0 / prediction.learned_eigenvalues[-1]
    result = run_gd(prediction, case.initial, lr, int(np.ceil(t_end / lr)), device="cpu")
    steps = result.measured_step_times()
    check(result.converged and np.all(np.diff(steps) > 0),
          "GD converges and its half-height times increase with k", problem=f"{case}, {rate}",
          predicted=prediction.random_step_times(case.initial), measured=steps)
