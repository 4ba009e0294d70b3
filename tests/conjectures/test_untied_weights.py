"""Conjecture: untied embeddings W != W' from a small balanced init learn the same eigen-directions as tied ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from scipy.integrate import solve_ivp

from sims.data.synthetic import random_orthogonal
from sims.claims.recording import check
from tests.strategies import dynamics_problems


def untied_flow(target: np.ndarray, w0: np.ndarray, c0: np.ndarray, t_end: float):
    """Gradient flow of 1/4 ||W W'^T - M*||^2 (the untied QWEM under Setting 3.1, same time unit as the tied
    flow): dW/dt = -1/2 (W W'^T - M*) W', dW'/dt = -1/2 (W' W^T - M*) W. Returns W(t_end), W'(t_end)."""
    size, dim = w0.shape
    scale = float(np.sqrt(np.mean(w0 ** 2)))

    def rhs(t, y):
        w, c = y[: size * dim].reshape(size, dim), y[size * dim:].reshape(size, dim)
        residual_c = w @ (c.T @ c) - target @ c   # (W W'^T - M*) W'
        residual_w = c @ (w.T @ w) - target @ w   # (W' W^T - M*) W
        return -0.5 * np.concatenate([residual_c.ravel(), residual_w.ravel()])

    # atol relative to the init's size: the early phase is exponential (as in sims.simulators.ode).
    solution = solve_ivp(rhs, (0.0, t_end), np.concatenate([w0.ravel(), c0.ravel()]), method="DOP853",
                         rtol=1e-9, atol=1e-9 * scale)
    y = solution.y[:, -1]
    return y[: size * dim].reshape(size, dim), y[size * dim:].reshape(size, dim)


@pytest.mark.conjecture(
    "Untied W != W' from a small balanced init (W'(0) = H W(0), H orthogonal, so W^T W = W'^T W') learn the "
    "tied model's directions: W W'^T -> sum_{k<=d} max(lam_k, 0) v_k v_k^T.",
    rationale="THEORY §6 lists untied weights as open. Linearising, [W; W'] grows with the block matrix "
              "[[0, M*], [M*, 0]] whose rates are +-lam_k: a negative eigenvalue grows in the antisymmetric "
              "part W - W' at rate |lam|, so large negative eigenvalues may be fitted where tied weights never do.",
    id="C-UNTIED",
)
@given(case=dynamics_problems(max_positive=3, max_negative=2, max_size=9, min_log10_inverse_sigma=4.0,
                              max_log10_inverse_sigma=6.0))
def test_untied_weights_learn_tied_directions(case):
    check_untied_learns_tied_minimiser(case)


@pytest.mark.conjecture(
    "Untied W != W' from a small balanced init learn the tied model's directions when no negative eigenvalue is "
    "larger in magnitude than lam_d (|lam_j| < lam_d for every lam_j < 0).",
    rationale="The refinement of C-UNTIED that the linearisation suggests: the antisymmetric part W - W' then "
              "grows more slowly than every learned mode, and the flow may still pick the tied minimiser.",
    id="C-UNTIED-SMALL-NEGATIVES",
)
@given(case=dynamics_problems(max_positive=3, max_negative=0, max_size=9, min_log10_inverse_sigma=4.0,
                              max_log10_inverse_sigma=6.0))
def test_untied_weights_without_large_negative_eigenvalues(case):
    check_untied_learns_tied_minimiser(case)


def check_untied_learns_tied_minimiser(case):
    """Run the untied flow from W(0), W'(0) = H W(0) and compare W W'^T with the tied minimiser."""
    prediction = case.prediction
    w0 = case.initial
    c0 = random_orthogonal(prediction.size, case.init.seed + 1) @ w0  # balanced: c0^T c0 = w0^T w0
    # Long enough for every mode of either sign with |lam| >= lam_d to be learned from sigma.
    rates = np.abs(np.asarray(case.problem.eigenvalues))
    slowest = np.min(rates[rates >= prediction.learned_eigenvalues[-1] * (1 - 1e-9)])
    t_end = 2.0 * np.log(1.0 / case.init.sigma ** 2) / slowest + 30.0 / slowest
    w, c = untied_flow(prediction.target, w0, c0, t_end)
    product = w @ c.T
    error = np.max(np.abs(product - prediction.gram)) / prediction.learned_eigenvalues[0]
    check(error <= 1e-3, "W W'^T equals the tied minimiser sum_{k<=d} max(lam_k,0) v_k v_k^T (to 1e-3 lam_1)",
          problem=case, predicted=np.linalg.eigvalsh(prediction.gram)[::-1][: prediction.dim],
          measured=np.sort(np.linalg.eigvals(product).real)[::-1][: prediction.dim + 1])
