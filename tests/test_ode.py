"""Gradient-flow ODE (sims.simulators.ode) against the closed form: logistic modes, QR step times, final Gram, step order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.simulators.ode import run_ode, sample_times
from sims.simulators.trajectory import gram_gap
from sims.claims.recording import assert_within, check
from tests.strategies import seeds, spectral_problems
from theory.predictions import closed_form, random_init
from theory.validation import InputError

SMALL_SCALES = st.sampled_from([1e-4, 1e-5, 1e-6])


def _random_run(problem, sigma, seed):
    """ODE from W(0) = random_init(V, d, sigma, seed) to 30 / lam_d past the last predicted step."""
    prediction = closed_form(problem.matrix, problem.dim)
    w0 = random_init(prediction.size, prediction.dim, sigma, seed)
    predicted = prediction.random_step_times(w0)
    t_end = float(predicted.max()) + 30.0 / prediction.learned_eigenvalues[-1]
    return prediction, predicted, run_ode(prediction, w0, t_end, samples=200)


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


@pytest.mark.claim("ST-QR", source="THEORY §3 (finite-sigma QR step-time predictor)")
@given(problem=spectral_problems(max_size=14, max_positive=3), sigma=SMALL_SCALES, seed=seeds)
def test_random_init_step_times_match_qr_predictor(problem, sigma, seed):
    """From W_ij(0) ~ N(0, sigma^2), sigma <= 1e-4, every half-height time is the QR prediction within 1 %."""
    prediction, predicted, result = _random_run(problem, sigma, seed)
    measured = result.measured_step_times()
    check(bool(np.all(np.isfinite(measured))), "every learned mode reaches half height", problem=problem,
          predicted=predicted, measured=measured)
    assert_within(np.max(np.abs(measured - predicted) / predicted), "step_time_qr", problem=problem,
                  predicted=predicted, measured=measured, what="max_k |t_k - t_k^QR| / t_k^QR")


@pytest.mark.claim("FIN-RAND", source="THEORY §3 (final state from small random init)")
@given(problem=spectral_problems(max_size=14, max_positive=3), sigma=SMALL_SCALES, seed=seeds)
def test_random_init_reaches_eigen_truncation(problem, sigma, seed):
    """W W^T -> sum_{k<=d} max(lam_k, 0) v_k v_k^T from a small random init (1e-6 relative)."""
    prediction, _, result = _random_run(problem, sigma, seed)
    w = result.embeddings
    gram = prediction.gram
    assert_within(np.max(np.abs(w @ w.T - gram)), "final_gram_random", scale=np.max(np.abs(gram)),
                  problem=problem, what="max |W W^T - G*| at t_end")
    check(result.converged and not result.diverged, "the run reports convergence", problem=problem)


@pytest.mark.claim("ORDER", source="THEORY §3 (one step at a time, in eigenvalue order)")
@given(problem=spectral_problems(max_size=14, max_positive=4), sigma=SMALL_SCALES, seed=seeds)
def test_steps_come_in_eigenvalue_order_one_at_a_time(problem, sigma, seed):
    """Half-height times increase with k (decreasing lam_k) and the effective rank climbs 0, 1, ..., m by ones."""
    prediction, _, result = _random_run(problem, sigma, seed)
    measured = result.measured_step_times()
    check(bool(np.all(np.diff(measured) > 0)), "step k+1 comes after step k", problem=problem,
          predicted=prediction.learned_eigenvalues, measured=measured)
    rank = result.effective_rank
    check(rank[0] == 0 and rank[-1] == prediction.learned_modes, "effective rank goes from 0 to m",
          problem=problem, measured=rank[[0, -1]])
    check(bool(np.all(np.isin(np.diff(rank), [0, 1]))), "effective rank never skips or drops",
          problem=problem, measured=np.unique(np.diff(rank)))


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
