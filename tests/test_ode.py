"""Gradient-flow ODE (sims.simulators.ode) from aligned init against the closed form (Lemma 3.1, tau), and its record grid.

The random-init claims (ST-QR, FIN-RAND, ORDER, ...) are registry claims: tests/claims/test_s3_dynamics.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.simulators.ode import run_ode, sample_times
from sims.simulators.trajectory import gram_gap
from sims.claims.recording import assert_within
from tests.strategies import spectral_problems
from theory.predictions import closed_form, random_init
from theory.validation import InputError

@pytest.mark.claim("L31", source="Lemma 3.1 (aligned init: logistic modes, singular vectors fixed)")
@given(problem=spectral_problems(max_size=12, max_positive=3), sigma=st.sampled_from([1e-2, 1e-3, 1e-4]))
def test_aligned_init_follows_logistic_and_keeps_singular_vectors(problem, sigma):
    """W(0) = sigma V_d: s_k^2(t) is the logistic solution and W(t) = V_d diag(s(t)) at all times."""
    prediction = closed_form(problem.matrix, problem.dim)
    lam = prediction.learned_eigenvalues
    t_end = float(prediction.aligned_step_times(sigma).max()) + 10.0 / lam[-1]
    times = np.linspace(0.0, t_end, 120)
    result = run_ode(prediction, prediction.aligned_init(sigma), t_end, times=times)
    logistic = prediction.trajectory(result.times, np.full(len(lam), sigma ** 2))
    measured = result.singular_values[:, : len(lam)] ** 2
    assert_within(np.max(np.abs(measured - logistic)), "ode_trajectory", scale=lam[0], problem=problem,
                  predicted=logistic[-1], measured=measured[-1], what="max_t |s_k^2(t) - logistic_k(t)|")
    # Singular vectors stay put: the learned subspace is span(V_d) at every recorded time, and the
    # final W is V_d diag(s(t_end)) column by column (not merely up to rotation).
    assert_within(1.0 - result.overlap.min(), "ode_trajectory", problem=problem,
                  what="1 - min_t overlap(U_d(t), V_d)")
    expected = prediction.learned_directions * np.sqrt(logistic[-1])
    assert_within(np.max(np.abs(result.embeddings[:, : len(lam)] - expected)), "ode_trajectory",
                  scale=np.sqrt(lam[0]), problem=problem, what="max |W(t_end) - V_d diag(s(t_end))|")


@pytest.mark.claim("TAU", source="THEORY §2 (characteristic time of an aligned mode)")
@given(problem=spectral_problems(max_size=12, max_positive=3), sigma=st.sampled_from([1e-2, 1e-3, 1e-4]))
def test_aligned_mode_height_at_characteristic_time(problem, sigma):
    """W(0) = sigma V_d: at tau_k = ln(lam_k/sigma^2)/lam_k the ODE's s_k^2 equals lam_k / (2 - sigma^2/lam_k)."""
    prediction = closed_form(problem.matrix, problem.dim)
    lam = prediction.learned_eigenvalues
    taus = prediction.characteristic_times(sigma)
    # The ODE is sampled at every tau_k; mode k is read at its own tau_k.
    result = run_ode(prediction, prediction.aligned_init(sigma), float(taus.max()), times=taus)
    rows = np.searchsorted(result.times, taus)
    measured = result.singular_values[rows, np.arange(len(lam))] ** 2
    predicted = lam / (2.0 - sigma ** 2 / lam)
    assert_within(np.max(np.abs(measured - predicted)), "ode_trajectory", scale=lam[0],
                  problem=f"{problem}, sigma={sigma:g}", predicted=predicted, measured=measured,
                  what="max_k |s_k^2(tau_k) - lam_k / (2 - sigma^2/lam_k)|")


def test_sample_grid_is_fine_around_each_predicted_step():
    """The record grid spaces points <= 0.2 / lam_k around step k, so step times interpolate to << 1 %."""
    values = [3.0, 1.5, 0.6] + [0.01] * 9
    from sims.data.synthetic import matrix_with_spectrum

    prediction = closed_form(matrix_with_spectrum(values, 4), 3)
    w0 = random_init(12, 3, 1e-4, 2)
    steps = prediction.random_step_times(w0)
    grid = sample_times(prediction, w0, 1.5 * steps.max(), samples=100)
    for lam, step in zip(prediction.learned_eigenvalues, steps):
        near = grid[np.abs(grid - step) <= 2.0 / lam]
        assert near.size >= 10 and np.max(np.diff(near)) <= 0.2 / lam


def test_ode_is_deterministic_and_validates_input():
    from sims.data.synthetic import matrix_with_spectrum

    prediction = closed_form(matrix_with_spectrum([2.0, 1.0, 0.1, -0.5, 0.0, 0.05], 1), 2)
    w0 = random_init(6, 2, 1e-3, 5)
    a, b = run_ode(prediction, w0, 20.0, samples=50), run_ode(prediction, w0, 20.0, samples=50)
    assert np.array_equal(a.singular_values, b.singular_values) and np.array_equal(a.embeddings, b.embeddings)
    assert a.method == "ode" and a.device == "cpu" and a.times[0] == 0.0 and a.times[-1] == 20.0
    assert gram_gap(prediction, prediction.embeddings) <= 1e-6
    for bad in (np.zeros((5, 2)), np.full((6, 2), np.nan)):
        with pytest.raises(InputError):
            run_ode(prediction, bad, 1.0)
    with pytest.raises(InputError):
        run_ode(prediction, w0, -1.0)
