"""THEORY §3 claims on the flow from a small random init (registry: sims/claims/definitions/s3_dynamics.py).

Each test constructs cases that satisfy the claim's hypotheses (tests/strategies.py: steps separated by
>= 8 e-folds, sigma resolvable by the ODE) and evaluates the registered claim on them.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from sims.claims.recording import check_claim
from tests.strategies import DynamicsProblem, dynamics_problems

SEPARATED = dict(separation=8.0, max_log10_inverse_sigma=20.0)


@pytest.mark.claim("ST-QR")
@given(case=dynamics_problems(max_size=14, max_positive=3, **SEPARATED))
def test_step_times_match_qr_predictor(case: DynamicsProblem):
    check_claim("ST-QR", case.flow_case)


@pytest.mark.claim("FIN-RAND")
@given(case=dynamics_problems(max_size=14, max_positive=3, **SEPARATED))
def test_flow_reaches_eigen_truncation(case: DynamicsProblem):
    check_claim("FIN-RAND", case.flow_case)


@pytest.mark.claim("ORDER")
@given(case=dynamics_problems(max_size=14, max_positive=4, **SEPARATED))
def test_steps_come_in_eigenvalue_order_one_at_a_time(case: DynamicsProblem):
    check_claim("ORDER", case.flow_case)


@pytest.mark.claim("PL-ODE")
@given(case=dynamics_problems(min_positive=2, max_positive=3, max_size=10, **SEPARATED))
def test_plateau_errors_along_the_flow(case: DynamicsProblem):
    check_claim("PL-ODE", case.flow_case)


@pytest.mark.claim("SILENT")
@given(case=dynamics_problems(max_positive=3, max_size=10, **SEPARATED))
def test_silent_alignment(case: DynamicsProblem):
    check_claim("SILENT", case.flow_case)
