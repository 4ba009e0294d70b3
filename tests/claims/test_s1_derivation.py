"""The SymPy derivation chain (theory.symbolic), each step checked by an independent route
(registry: sims/claims/definitions/s1_derivation.py).

Exact steps run on random rationals drawn from a seed (SEED is the `rng` fixture's seed, so the rationals
are the ones these checks always used); numerical steps on Hypothesis-drawn eigenvalues and heights.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sims.claims.definitions.s1_derivation import (GdMapCase, LinearCase, LogisticCase, ModeNumericsCase, PairLossCase,
                                                   RationalCase, SquareCompletionCase)
from sims.claims.recording import check_claim
from tests.strategies import seeds

SEED = 20251125  # conftest.py's `rng` fixture


@pytest.mark.claim("Q1")
@pytest.mark.parametrize("sign", [1, -1])
def test_qwem_pair_terms_are_the_sgns_taylor_expansion(sign):
    check_claim("Q1", PairLossCase(sign))


@pytest.mark.claim("P2-sym")
def test_weighted_square_completion_on_exact_rationals():
    check_claim("P2-sym", RationalCase(SEED))


@pytest.mark.claim("T1-sym")
@pytest.mark.parametrize("seed, g", [(SEED, "7/2"), (1, "1")])
def test_square_completion_iff_constant_g(seed, g):
    # g = 1 is Setting 3.1's example Psi+ = Psi- = 1/(P_ij + P_iP_j); 7/2 a generic constant.
    check_claim("T1-sym", SquareCompletionCase(seed, g))


@pytest.mark.claim("GF1")
def test_gradient_flow_and_riccati_on_explicit_matrices():
    check_claim("GF1", RationalCase(SEED))


@pytest.mark.claim("L31-sym")
@given(eigenvalue=st.floats(0.1, 5.0), log_u0=st.floats(-16, -1), seed=seeds)
@example(eigenvalue=0.1, log_u0=-16.0, seed=0)  # the slowest mode from the smallest height: 4 tau ~ 1500
@example(eigenvalue=5.0, log_u0=-1.0, seed=1)   # the fastest, capped at u0 = lam/20
def test_aligned_modes_are_logistic(eigenvalue, log_u0, seed):
    check_claim("L31-sym", LogisticCase(eigenvalue, min(10.0 ** log_u0, eigenvalue / 20), seed))


@pytest.mark.claim("SYM-NUM")
@given(eigenvalue=st.floats(0.05, 20.0), log_ratio=st.floats(-12.0, float(np.log10(0.49))),
       growth=st.floats(0.0, 60.0), fraction=st.floats(0.01, 0.99))
def test_dynamics_numerics_equal_the_derived_expressions(eigenvalue, log_ratio, growth, fraction):
    # u0 = ratio lam (0 < u0 < lam/2) and t = growth / lam (up to 60 e-folds).
    check_claim("SYM-NUM", ModeNumericsCase(eigenvalue, eigenvalue * 10.0 ** log_ratio, growth / eigenvalue, fraction))


@pytest.mark.claim("LIN1-sym")
@pytest.mark.parametrize("case", [LinearCase(SEED), LinearCase(7, slope=-1.2, l0=0.4, l1=-2.0, time=0.5)], ids=repr)
def test_linear_regime(case):
    check_claim("LIN1-sym", case)


@pytest.mark.claim("GD-map")
@pytest.mark.parametrize("case", [GdMapCase(SEED), GdMapCase(3, learning_rate=0.7, eigenvalue=0.6)], ids=repr)
def test_gd_step_acts_on_aligned_modes_by_the_derived_map(case):
    check_claim("GD-map", case)
