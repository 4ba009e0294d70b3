"""Reference gradient-flow simulator: dW/dt = -1/2 (W W^T - M*) W for the full V x d W, integrated by SciPy."""

from __future__ import annotations

import numpy as np
import scipy.integrate

from sims.simulators.trajectory import Recorder, SimulationResult, check_initial, gram_gap, is_converged
from theory.predictions import ClosedForm
from theory.validation import InputError, check_positive

# The SciPy integrators `run_ode(method=...)` accepts.
SOLVERS = {"DOP853": scipy.integrate.DOP853, "LSODA": scipy.integrate.LSODA, "RK45": scipy.integrate.RK45}


def predicted_steps(prediction: ClosedForm, initial: np.ndarray) -> np.ndarray:
    """QR-predicted half-height times for W(0), finite ones only; empty when W(0) is not small."""
    if prediction.learned_modes == 0:
        return np.empty(0)
    try:
        times = prediction.random_step_times(initial)
    except InputError:  # some mode starts above half height: there is no step to predict
        return np.empty(0)
    return times[np.isfinite(times)]


# Record spacing near step k, in units of 1/lam_k. The log-linear interpolation in
# `measured_step_times` errs by ~(lam_k h)^2 / 16 / lam_k at the half-height crossing (log s^2 has
# curvature -lam^2/4 and slope lam/2 there), i.e. ~6e-4 / lam_k: below 1e-3 of any step time
# t_k = ln(lam_k / r_k^2) / lam_k >= ~1 / lam_k.
STEP_SPACING = 0.1


def sample_times(prediction: ClosedForm, initial: np.ndarray, t_end: float, samples: int) -> np.ndarray:
    """Record times on [0, t_end]: spacing t_end / (samples - 1) in general, refined to STEP_SPACING / lam_k
    within +-(4 / lam_k + 5 % of t_k) of each QR-predicted step t_k.

    The window is wide enough to contain the step even where the predictor is off by a few per cent
    (larger sigma); overlapping windows share their points, so the grid stays ~ samples + 100 per
    isolated step.
    """
    base = t_end / (samples - 1)
    windows = []
    for lam, step in zip(prediction.learned_eigenvalues, predicted_steps(prediction, initial)):
        half_width = 4.0 / lam + 0.05 * step
        if step - half_width < t_end:
            windows.append((step - half_width, step + half_width, min(base, STEP_SPACING / lam)))
    if not windows:
        return np.linspace(0.0, t_end, samples)
    lows, highs, spacings = (np.array(column) for column in zip(*windows))
    times = [0.0]
    while True:
        t = times[-1]
        inside = (lows <= t) & (t < highs)
        h = float(spacings[inside].min()) if inside.any() else base
        # Do not step over the start of a finer window.
        ahead = lows[(lows > t) & (spacings < h)]
        nxt = min(t + h, float(ahead.min())) if ahead.size else t + h
        if nxt >= t_end * (1.0 - 1e-12):
            break
        times.append(nxt)
    times.append(t_end)
    return np.asarray(times)


def run_ode(prediction: ClosedForm, initial: np.ndarray, t_end: float, *, samples: int = 400,
            rtol: float = 1e-9, times=None, method: str = "DOP853", progress: bool = False) -> SimulationResult:
    """Integrate the gradient flow from W(0) = `initial` to `t_end` and record it (method "ode", device "cpu").

    Records every t_end / (samples - 1), finer around each QR-predicted step (see `sample_times`);
    `times` (optional) replaces that grid by exactly these record times (e.g. to compare with GD).

    Accuracy: a small init makes the early phase exponential, so error control must be *relative* to
    the size of W, not absolute. The solver bounds each component's local error by atol + rtol |y_i|;
    with atol = rtol * (rms entry of W(0)) every component of W(0)'s size or larger is held to relative
    accuracy rtol from t = 0 on, and since early errors then grow with the same exponential as the signal,
    s_k(t) keeps relative accuracy ~ rtol times the number of solver steps throughout. (Integrating the
    linear part exactly would need the full eigendecomposition of M*; the absolute tolerance achieves the
    same relative accuracy for the price of a few more steps.)
    The right-hand side is -1/2 (W (W^T W) - M* W): only V x d and d x d temporaries.
    """
    w0 = check_initial(prediction, initial)
    t_end = check_positive(t_end, "t_end")
    rtol = check_positive(rtol, "rtol")
    if method not in SOLVERS:
        raise InputError(f"method must be one of {', '.join(SOLVERS)}, got {method!r}")
    if times is None:
        if int(samples) < 2:
            raise InputError(f"samples must be >= 2, got {samples}")
        grid = sample_times(prediction, w0, t_end, int(samples))
    else:
        grid = np.unique(np.asarray(times, dtype=np.float64))
        if grid.size == 0 or grid[0] < 0 or grid[-1] > t_end or not np.all(np.isfinite(grid)):
            raise InputError("record times must be finite and lie in [0, t_end]")
    target = prediction.target
    size, dim = w0.shape
    scale = float(np.sqrt(np.mean(w0 ** 2)))
    atol = rtol * (scale if scale > 0 else 1.0)

    bar = _progress_bar(t_end, progress)

    def rhs(t, y):
        w = y.reshape(size, dim)
        if bar is not None and t > bar.n:
            bar.update(min(t, t_end) - bar.n)
        return (-0.5 * (w @ (w.T @ w) - target @ w)).ravel()

    recorder = Recorder(prediction)
    next_index = 0
    last = w0
    if grid[0] == 0.0:
        recorder.measure(0.0, w0)
        next_index = 1
    solver = SOLVERS[method](rhs, 0.0, w0.ravel().copy(), t_end, rtol=rtol, atol=atol)
    reason = ""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            while solver.status == "running" and next_index < len(grid):
                message = solver.step()
                if solver.status == "failed" or not np.all(np.isfinite(solver.y)):
                    # Stop at the last recorded (finite) state with the reason: never NaN in a trajectory.
                    reason = (f"solver stopped at t = {solver.t:.6g}: "
                              + (message or "the state became non-finite"))
                    break
                stop = np.searchsorted(grid, solver.t, side="right")
                if stop > next_index:
                    # The solver's own interpolant over its last step: same order as the method.
                    interpolant = solver.dense_output()
                    for t in grid[next_index:stop]:
                        state = interpolant(t).reshape(size, dim)
                        if not np.all(np.isfinite(state)):
                            reason = f"the state became non-finite at t = {t:.6g}"
                            break
                        last = state
                        recorder.measure(t, last)
                    next_index = stop
                    if reason:
                        break
    finally:
        if bar is not None:
            bar.close()
    if not recorder.times:  # the first record time was not 0 and the solver stopped before it
        recorder.measure(0.0, w0)
    final = np.array(last, dtype=np.float64)  # W at the last recorded time (t_end unless `times` stop earlier)
    failed = bool(reason)
    return recorder.result("ode", final, device="cpu", converged=not failed and is_converged(prediction, final),
                           diverged=failed, t_end=t_end, rtol=rtol, atol=atol, solver=method,
                           rhs_evaluations=int(solver.nfev), gram_gap=gram_gap(prediction, final), reason=reason)


def _progress_bar(total: float, enabled: bool):
    from sims.progress import progress_bar

    return progress_bar(total, "ode", enabled, unit="t",
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| t={n:.3g}/{total:.3g} [{elapsed}<{remaining}]")
