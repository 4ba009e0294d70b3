"""THEORY §7 claim GLOVE-UNIFORM (registry: sims/claims/definitions/s5_glove.py): uniform-weight GloVe with tied
embeddings and optimal biases is the closed form of C = J_c log(1 + X) J_c.

Count matrices are constructed so that C has a prescribed spectrum (never filtered): X = exp(T) - 1 with
T = B M B^T + a 1^T + 1 a^T + s, where M is a spectral problem's (V - 1) x (V - 1) target (tests/strategies.py),
B an orthonormal basis of the complement of 1 (Helmert), a_i = -exponent ln i Zipf-like row effects and s the
shift that puts min T at `shift` >= 0 (so X >= 0, with an unobserved pair where shift = 0). Double centring
removes a 1^T + 1 a^T + s exactly, so C = B M B^T: M's eigenvalues plus a 0 along 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.s5_glove import GloveCase
from sims.claims.recording import check_claim
from tests.strategies import DynamicsProblem, dynamics_problems


@dataclass(frozen=True)
class CentredCountsProblem:
    """Counts whose doubly-centred smoothed log counts have the spectral problem's eigenvalues (and 0)."""

    dynamics: DynamicsProblem
    exponent: float
    shift: float

    @cached_property
    def counts(self) -> np.ndarray:
        m = self.dynamics.problem.matrix
        size = m.shape[0] + 1
        basis = scipy.linalg.helmert(size).T          # V x (V - 1), orthonormal, orthogonal to 1
        centred = basis @ m @ basis.T
        rows = -self.exponent * np.log(np.arange(1, size + 1))
        t = centred + rows[:, None] + rows[None, :]
        t = 0.5 * (t + t.T)
        return np.expm1(t - t.min() + self.shift)

    @cached_property
    def case(self) -> GloveCase:
        problem, init = self.dynamics.problem, self.dynamics.init
        return GloveCase(self.counts, problem.dim, init.sigma, init.seed, label=repr(self))

    def __repr__(self) -> str:
        p, init = self.dynamics.problem, self.dynamics.init
        return (f"CentredCountsProblem(eigenvalues of C={p.eigenvalues} and 0, dim={p.dim}, seed={p.seed}, "
                f"exponent={self.exponent}, shift={self.shift}, sigma=1e-{init.log10_inverse_sigma:g}, "
                f"init_seed={init.seed})")


@st.composite
def centred_counts_problems(draw):
    """Separated steps (S >= 8), sigma <= 1e-4 (GLOVE-UNIFORM's step-time tolerance assumes it), V <= 12."""
    dynamics = draw(dynamics_problems(separation=8.0, min_log10_inverse_sigma=4.0, max_log10_inverse_sigma=10.0,
                                      max_size=11, max_positive=3))
    exponent = draw(st.sampled_from([0.0, 0.5, 1.0]))
    shift = draw(st.sampled_from([0.0, 1.0, 4.0]))
    return CentredCountsProblem(dynamics, exponent, shift)


@pytest.mark.claim("GLOVE-UNIFORM")
@given(problem=centred_counts_problems())
def test_uniform_weight_glove_is_its_closed_form(problem):
    check_claim("GLOVE-UNIFORM", problem.case)
