"""Conjectures C-UNTIED and C-UNTIED-SMALL-NEGATIVES: untied embeddings W != W' from a small balanced init learn
the same eigen-directions as tied ones (registry: sims/claims/definitions/conjectures.py)."""

from __future__ import annotations

import pytest
from hypothesis import example, given

from sims.claims.definitions.conjectures import UntiedCase
from sims.claims.recording import check_claim
from tests.strategies import DynamicsProblem, SmallInit, SpectralProblem, dynamics_problems


def untied_case(case: DynamicsProblem) -> UntiedCase:
    return UntiedCase(case.prediction, case.initial, case.init.sigma, case.init.seed + 1, label=repr(case))


@pytest.mark.conjecture(id="C-UNTIED")
# The "ci" search's counterexample (tests/conjectures/expected.py), explicit so that every profile refutes it.
@example(case=DynamicsProblem(SpectralProblem(eigenvalues=(1.0, 0.031, 0.016, 0.008, 0.0, -1.0), seed=0, dim=1),
                              SmallInit(log10_inverse_sigma=4.0, seed=0)))
@given(case=dynamics_problems(max_positive=3, max_negative=2, max_size=9, min_log10_inverse_sigma=4.0,
                              max_log10_inverse_sigma=6.0))
def test_untied_weights_learn_tied_directions(case):
    check_claim("C-UNTIED", untied_case(case))


@pytest.mark.conjecture(id="C-UNTIED-SMALL-NEGATIVES")
@given(case=dynamics_problems(max_positive=3, max_negative=0, max_size=9, min_log10_inverse_sigma=4.0,
                              max_log10_inverse_sigma=6.0))
def test_untied_weights_without_large_negative_eigenvalues(case):
    check_claim("C-UNTIED-SMALL-NEGATIVES", untied_case(case))
