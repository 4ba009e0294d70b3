"""The gradient-flow ODE simulator (sims.simulators.ode): its record grid, determinism and input checks.

The claims it is the reference for live in tests/claims/ (registry: sims/claims/definitions/).
"""

from __future__ import annotations

import numpy as np
import pytest

from sims.simulators.ode import run_ode, sample_times
from sims.simulators.trajectory import gram_gap
from theory.predictions import closed_form, random_init
from theory.tolerances import tolerance
from theory.validation import InputError

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


def test_error_trajectory_is_the_aligned_flow_error():
    """ClosedForm.error_trajectory (the figure's closed-form loss curve) against the ODE from aligned init, where
    Lemma 3.1 makes the decoupled-mode error exact: agreement to the solver's tolerance, not approximately."""
    from sims.data.synthetic import matrix_with_spectrum

    target = matrix_with_spectrum([3.0, 1.5, 0.6, 0.2, -0.4, -1.0], seed=2)
    prediction = closed_form(target, 3)
    scale = 1e-3
    result = run_ode(prediction, prediction.aligned_init(scale), 3.0 * float(np.max(prediction.aligned_step_times(scale))))
    predicted = prediction.error_trajectory(result.times, np.full(prediction.learned_modes, scale ** 2))
    bound = tolerance("ode_trajectory").value
    gap = np.abs(result.error - predicted) / predicted[0]
    assert gap.max() <= bound, f"max |E_ode - E_closed| / E(0) = {gap.max():.3g} > {bound:g}"
    assert predicted[-1] == pytest.approx(prediction.final_error, rel=tolerance("identity").value)
