"""Conjecture: a larger initialisation (sigma ~ 0.1 - 1) keeps the learning order, although the steps overlap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sims.claims.recording import check
from tests.strategies import SpectralProblem, seeds, spectral_problems
from theory.predictions import closed_form, random_init


def mode_strengths(target, directions, w0, times):
    """a_k(t) = ||W(t)^T v_k||^2 along the tied gradient flow dW/dt = -1/2 (WW^T - M*) W (T x m)."""
    size, dim = w0.shape

    def rhs(t, y):
        w = y.reshape(size, dim)
        return (-0.5 * (w @ (w.T @ w) - target @ w)).ravel()

    solution = solve_ivp(rhs, (0.0, times[-1]), w0.ravel(), method="DOP853", t_eval=times, rtol=1e-9, atol=1e-12)
    w = solution.y.T.reshape(len(times), size, dim)
    return np.sum(np.einsum("tvd,vk->tdk", w, directions) ** 2, axis=1)


@pytest.mark.conjecture(
    "From a random init with sigma in [0.1, 1] (entries N(0, sigma^2)), the eigen-directions still reach half "
    "height in decreasing-eigenvalue order: ||W^T v_k||^2 crosses lam_k/2 no later than ||W^T v_(k+1)||^2 "
    "(modes already above half height at t = 0 excepted).",
    rationale="THEORY §6 asks whether the order survives a larger init. Each step then takes O(1/lam_k), "
              "not O(ln(1/sigma^2)/lam_k), so the steps overlap, but the faster growth of larger-lam modes "
              "might still put them first; random initial strengths could reverse close pairs.",
    id="C-LARGE-INIT-ORDER",
)
# The counterexample the "ci" search finds (tests/conjectures/expected.py): modes 2 and 3 cross half height in
# the wrong order at sigma = 0.1. Explicit, so that every Hypothesis profile refutes the conjecture.
@example(problem=SpectralProblem(eigenvalues=(1.0, 0.5, 0.25, 0.0, -1.0, -1.0), seed=0, dim=3), init_seed=0, sigma=0.1)
@given(problem=spectral_problems(min_positive=2, max_positive=3, max_size=10), init_seed=seeds,
       sigma=st.sampled_from([0.1, 0.2, 0.5, 1.0]))
def test_large_init_keeps_order(problem, init_seed, sigma):
    prediction = closed_form(problem.matrix, problem.dim)
    lam = prediction.learned_eigenvalues
    w0 = random_init(prediction.size, prediction.dim, sigma, init_seed)
    times = np.linspace(0.0, 30.0 / lam[-1], 1500)
    strengths = mode_strengths(prediction.target, prediction.learned_directions, w0, times)
    above = strengths >= lam / 2
    first = np.array([times[np.argmax(col)] if col.any() else np.inf for col in above.T])
    started_below = ~above[0]
    crossing = first[started_below]
    check(np.all(np.diff(crossing) >= 0),
          "modes starting below half height cross it in decreasing-lam order",
          problem=f"{problem}, sigma={sigma}, init_seed={init_seed}", predicted=np.sort(crossing), measured=crossing)
