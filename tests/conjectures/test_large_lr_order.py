"""Conjecture C-LARGE-LR-ORDER: full-batch GD far from the flow limit (eta up to 0.9 x 2/lam_1) still learns modes
in eigenvalue order (registry: sims/claims/definitions/conjectures.py)."""

from __future__ import annotations

import pytest
from hypothesis import example, given

from sims.claims.definitions.conjectures import LargeRateCase
from sims.claims.recording import check_claim
from tests.strategies import DynamicsProblem, LearningRate, SmallInit, SpectralProblem, dynamics_problems, learning_rates


@pytest.mark.conjecture(id="C-LARGE-LR-ORDER")
# The counterexample random search found (tests/conjectures/expected.py), explicit so that every Hypothesis
# profile refutes the conjecture: lam_min = -4 < -lam_1 makes the stiffest rate (lam_1 - lam_min)/2 = 2.5, so
# GD is stable only for eta < 2/2.5 = 0.8, and eta = 0.5 x 2/lam_1 = 1 diverges (GD-STAB-NEG's instability).
@example(case=DynamicsProblem(SpectralProblem(eigenvalues=(1.0, 0.5, 0.25, 0.0, -1.0, -4.0), seed=0, dim=3),
                              SmallInit(log10_inverse_sigma=8.0, seed=0)),
         rate=LearningRate(fraction=0.5))
@given(case=dynamics_problems(separation=8.0, min_positive=2, max_positive=3, max_size=10,
                              max_log10_inverse_sigma=10.0),
       rate=learning_rates(min_fraction=0.5, max_fraction=0.9))
def test_large_learning_rate_keeps_order(case, rate):
    check_claim("C-LARGE-LR-ORDER", LargeRateCase(case.flow_case, 2 * rate.fraction))
