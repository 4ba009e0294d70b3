"""Full-batch gradient descent on the QWEM (or expected SGNS) Setting-3.1 objective in PyTorch, in flow time.

The map is W <- W - lr * 1/2 (W W^T - M*) W: one step is a forward-Euler step of the flow
dW/dt = -1/2 (W W^T - M*) W of size lr, so step n sits at flow time t = lr * n (THEORY §4: GD follows
the flow with an O(lr) delay and converges iff lr * lam_1 < 2).

With a general symmetric weight G (run_gd's `weight`: Proposition 2, e.g. word2vec's own Psi, THEORY §7)
the map is W <- W - lr * 1/2 (G^ o (W W^T - M*)) W with G^ = G / mean(G): the same time unit, that of
Setting 3.1 at g = mean(G) (WeightedGradientDescent, WeightedSgnsGradientDescent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from sims.simulators.device import resolve_device, resolve_dtype, thread_policy
from sims.simulators.trajectory import Recorder, SimulationResult, check_initial, gram_gap, is_converged
from theory.predictions import ClosedForm
from theory.validation import InputError, check_positive

TARGET_RECORDS = 500
# Under the flow d||W||^2/dt <= lam_1 ||W||^2 - ||W||^4 / d, so ||W||_F^2 never exceeds
# max(||W(0)||_F^2, d lam_1); GD overshoot (period-2 orbit, ...) stays within a small factor of
# that. Beyond DIVERGENCE_FACTOR times it the iteration has escaped (growth is then cubic per step).
DIVERGENCE_FACTOR = 100.0


def default_record_every(steps: int) -> int:
    """Record every k-th step so that a run has about TARGET_RECORDS records (between 400 and 1000)."""
    return max(1, steps // TARGET_RECORDS)


def norm_bound(prediction: ClosedForm, initial: np.ndarray) -> float:
    """||W||_F^2 above which a run counts as diverged: DIVERGENCE_FACTOR * max(||W(0)||^2, d lam_1, lam_1)."""
    top = max(float(prediction.eigenvalues[0]), 0.0)
    scale = max(float(np.sum(np.asarray(initial, dtype=np.float64) ** 2)), prediction.dim * top, top)
    if scale == 0.0:  # W(0) = 0 and M* <= 0: nothing can grow; any finite W is fine
        scale = 1.0
    return DIVERGENCE_FACTOR * scale


class GradientDescent:
    """In-place full-batch GD state on one device for the QWEM loss: W, the target, preallocated buffers.

    `prepare()` computes M* W and the gradient (WW^T - M*) W for the current W (M* W stays in
    `target_times_w` so the recorder can reuse it); `update()` then moves W by -lr/2 times the gradient.
    `step()` does both. Only V x d and d x d temporaries are formed.
    """

    loss = "qwem"

    def __init__(self, target: torch.Tensor, initial: torch.Tensor, lr: float):
        self.target = target
        self.w = initial.clone()
        self.half_lr = 0.5 * float(lr)
        self.target_times_w = torch.empty_like(self.w)
        self.gradient = torch.empty_like(self.w)
        self.gram = torch.empty((self.w.shape[1], self.w.shape[1]), dtype=self.w.dtype, device=self.w.device)

    @torch.no_grad()
    def prepare(self) -> None:
        torch.mm(self.target, self.w, out=self.target_times_w)
        self._gradient()

    def _gradient(self) -> None:
        """gradient <- (W W^T - M*) W, as W (W^T W) - M* W."""
        torch.mm(self.w.T, self.w, out=self.gram)
        torch.mm(self.w, self.gram, out=self.gradient)
        self.gradient.sub_(self.target_times_w)

    @torch.no_grad()
    def update(self) -> None:
        self.w.add_(self.gradient, alpha=-self.half_lr)

    def step(self) -> None:
        self.prepare()
        self.update()

    def recorded_product(self) -> np.ndarray | None:
        """M* W of the recorder's target (the prediction's) for the current W, when this step formed it."""
        return _numpy(self.target_times_w)

    @torch.no_grad()
    def squared_norm(self) -> float:
        """||W||_F^2 of the current W (a V x d reduction; syncs a GPU)."""
        return float(torch.sum(self.w * self.w))


class SgnsGradientDescent(GradientDescent):
    """Full-batch GD on the exact expected SGNS loss under Setting 3.1 with k = 1, in QWEM's flow time.

    dL/dx_ij = Psi (P_iP_j sigma(x) - P_ij sigma(-x)) = sigma(x) - P_ij / (P_ij + P_iP_j) = A_ij with
    P / (P + P_iP_j) = (2 + M*) / 4, so grad_W L = (A + A^T) W = 1/2 (4 sigma(WW^T) - 2 - M*) W: the
    gradient buffer holds (4 sigma(WW^T) - 2 - M*) W. Since 4A = WW^T - M* + O(x^3), a step of lr is
    QWEM's flow step of lr to leading order at small init. Forms one V x V temporary per step.
    """

    loss = "sgns"

    def _gradient(self) -> None:
        logistic = torch.sigmoid(self.w @ self.w.T).mul_(4.0).sub_(2.0)
        torch.mm(logistic, self.w, out=self.gradient)
        self.gradient.sub_(self.target_times_w)


class WeightedGradientDescent(GradientDescent):
    """Full-batch GD on the QWEM population loss with a general symmetric weight G (THEORY §1, Proposition 2).

    L(W) = 1/4 sum_ij G_ij (WW^T - M*)_ij^2 + const has gradient (G o (WW^T - M*)) W, G_ij = Psi+ P_ij +
    Psi- P_i P_j and M* that Psi's target. With G^ = G / g, g = mean_ij G_ij, a step is W <- W - lr 1/2
    (G^ o (WW^T - M*)) W: the flow dW/dt = -(1/(2g)) grad L, in Setting 3.1's time unit at G = its mean
    (under Setting 3.1 G^ = 1 and this is GradientDescent's map). `target` is this Psi's M* (not
    necessarily the recorder's); `weight` is G^ (run_gd normalises it). Holds the given V x V G^ and M*
    and one preallocated V x V work buffer (G^ o WW^T has no low-rank shortcut for a general G).
    """

    loss = "qwem"

    def __init__(self, target: torch.Tensor, initial: torch.Tensor, lr: float, weight: torch.Tensor):
        super().__init__(target, initial, lr)
        self.weight = weight
        self.work = torch.empty_like(weight)

    @torch.no_grad()
    def prepare(self) -> None:
        self._gradient()

    def _gradient(self) -> None:
        """gradient <- (G^ o (W W^T - M*)) W."""
        torch.mm(self.w, self.w.T, out=self.work)
        self.work.sub_(self.target).mul_(self.weight)
        torch.mm(self.work, self.w, out=self.gradient)

    def recorded_product(self) -> None:
        """None: this step formed no product with the recorder's target, which then forms M* W itself."""
        return None


class WeightedSgnsGradientDescent(WeightedGradientDescent):
    """Full-batch GD on the exact expected SGNS loss with general symmetric Psi+, Psi- (any k), in QWEM's flow time.

    dL/dx_ij = Psi- P_iP_j sigma(x) - Psi+ P_ij sigma(-x) = G sigma(x) - Psi+ P_ij = G (4 sigma(x) - 2 - M*) / 4,
    since Psi+ P_ij = G (2 + M*) / 4 (THEORY §1's M*). So grad_W L = 1/2 (G o (4 sigma(WW^T) - 2 - M*)) W and
    the step W <- W - lr 1/2 (G^ o (4 sigma(WW^T) - 2 - M*)) W is the flow dW/dt = -(1/g) grad L: QWEM's flow
    step of lr to leading order at small init, as SgnsGradientDescent (which it equals at G^ = 1, k = 1).
    """

    loss = "sgns"

    def _gradient(self) -> None:
        torch.mm(self.w, self.w.T, out=self.work)
        torch.sigmoid(self.work, out=self.work)
        self.work.mul_(4.0).sub_(2.0).sub_(self.target).mul_(self.weight)
        torch.mm(self.work, self.w, out=self.gradient)


# run_gd's `loss` option: the state class that computes each loss's gradient (WEIGHTED_LOSSES with `weight`).
GD_LOSSES = {cls.loss: cls for cls in (GradientDescent, SgnsGradientDescent)}
WEIGHTED_LOSSES = {cls.loss: cls for cls in (WeightedGradientDescent, WeightedSgnsGradientDescent)}


@dataclass
class _Stop:
    """Where a GD loop ended: the last W checked finite and bounded, its step, and why it stopped early."""

    w: torch.Tensor
    step: int
    last_recorded: int
    diverged: bool = False
    reason: str = ""


def _iterate(state: GradientDescent, recorder: Recorder, steps: int, record_every: int, check_every: int,
             bound: float, lr: float, progress: bool, observer=None) -> _Stop:
    """Step `state` up to `steps` times, recording and checking for divergence (see `run_gd`)."""
    stop = _Stop(state.w.clone(), 0, -1)
    bar = _progress_bar(steps, progress)
    try:
        for n in range(steps + 1):
            record = n % record_every == 0 or n == steps
            if record or n % check_every == 0:
                norm_sq = state.squared_norm()
                if not math.isfinite(norm_sq) or norm_sq > bound:
                    what = f"||W||_F^2 = {norm_sq:.3g} exceeds {bound:.3g}" if math.isfinite(norm_sq) \
                        else "W became non-finite"
                    stop.diverged = True
                    stop.reason = f"diverged at step {n} (flow time {lr * n:.6g}): {what}"
                    break
                stop.w.copy_(state.w)
                stop.step = n
            state.prepare()
            if record:
                # Reuse the step's M* W (no extra V x V x d product per record); in float32 the
                # recorded error is then good to ~1e-7 ||M*||_F^2, the precision of the run itself.
                w = _numpy(state.w)
                recorder.measure(lr * n, w, state.recorded_product())
                if observer is not None:
                    observer(lr * n, w)
                stop.last_recorded = n
            if n == steps:
                break
            state.update()
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return stop


def run_gd(prediction: ClosedForm, initial: np.ndarray, lr: float, steps: int, *, record_every: int | None = None,
           dtype: str = "float64", device: str = "auto", check_every: int | None = None,
           progress: bool = False, loss: str = "qwem", weight: np.ndarray | None = None,
           target: np.ndarray | None = None, observer=None) -> SimulationResult:
    """Full-batch GD W <- W - lr 1/2 (W W^T - M*) W for `steps` steps from W(0); flow time t = lr * steps.

    Records step 0, every `record_every`-th step (default: steps // 500, so 400-1000 records) and the
    last step. Divergence (non-finite W, or ||W||_F^2 beyond `norm_bound`) is checked at every record and
    every `check_every` steps (default 1 on CPU, 16 on CUDA where each check syncs); the run then stops,
    is marked diverged, and returns the last checked finite W: the result never holds NaNs.
    lr * lam_1 >= 2 is reported as not converged with the reason in extra["reason"] (the minimiser is
    linearly unstable there: THEORY §4). Deterministic on CPU: the same input gives a bit-identical result.
    loss="sgns" runs the expected SGNS loss instead (`SgnsGradientDescent`; method "gd-sgns"): its
    minimiser is not the closed form's, so `converged` then means every learned mode is past half height.

    `weight` (V x V, symmetric, >= 0; G = Psi+ P + Psi- P_iP_j) runs the weighted population loss of THEORY §1
    instead (WeightedGradientDescent, WeightedSgnsGradientDescent; methods "gd-weighted", "gd-sgns-weighted"):
    W <- W - lr 1/2 (G^ o (WW^T - target)) W with G^ = G / mean(G), flow time t = lr * steps in Setting 3.1's
    unit at g = mean(G). `target` is that Psi's M* (default: the prediction's). Records still measure W
    against `prediction` (its singular values, overlaps with its eigenvectors, error to its target); a
    weighted run has no closed-form minimiser (Proposition 2), so it is never reported as converged.
    `observer`, if given, is called as observer(flow_time, W) at every record (W: float64 numpy, V x d).
    """
    lr = check_positive(lr, "learning rate")
    if isinstance(steps, bool) or int(steps) != steps or int(steps) < 1:
        raise InputError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    record_every = default_record_every(steps) if record_every is None else int(record_every)
    if record_every < 1:
        raise InputError(f"record_every must be >= 1, got {record_every}")
    if loss not in GD_LOSSES:
        raise InputError(f"loss must be one of {', '.join(GD_LOSSES)}, got {loss!r}")
    w0 = check_initial(prediction, initial)
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype)
    check_every = (1 if torch_device.type == "cpu" else 16) if check_every is None else max(1, int(check_every))

    weighted = weight is not None
    if not weighted and target is not None:
        raise InputError("target applies only with weight (the unweighted run trains the prediction's M*)")
    if weighted:
        weight, target = _weighted_problem(prediction, weight, target)

    with torch.no_grad(), thread_policy(torch_device, prediction.size):
        start = torch.as_tensor(w0, dtype=torch_dtype, device=torch_device)
        if weighted:
            state = WEIGHTED_LOSSES[loss](torch.as_tensor(target, dtype=torch_dtype, device=torch_device), start, lr,
                                          torch.as_tensor(weight, dtype=torch_dtype, device=torch_device))
        else:
            state = GD_LOSSES[loss](torch.as_tensor(prediction.target, dtype=torch_dtype, device=torch_device),
                                    start, lr)
        recorder = Recorder(prediction)
        stop = _iterate(state, recorder, steps, record_every, check_every, norm_bound(prediction, w0), lr, progress,
                        observer)
        final = _numpy(stop.w)
    if stop.last_recorded != stop.step:  # stopped by divergence: record the last finite W as the final state
        recorder.measure(lr * stop.step, final)

    lr_lambda = lr * float(prediction.eigenvalues[0])
    gap = gram_gap(prediction, final)
    at_end = is_converged(prediction, final) if loss == "qwem" else recorder.ranks[-1] == prediction.learned_modes
    converged = not stop.diverged and lr_lambda < 2.0 and at_end and not weighted
    reason = stop.reason
    if weighted:
        method = "gd-weighted" if loss == "qwem" else f"gd-{loss}-weighted"
        if not stop.diverged:
            reason = "weighted loss (general G): no closed-form minimiser to compare with (Proposition 2)"
        return recorder.result(method, final, device=str(torch_device), converged=False, diverged=stop.diverged,
                               lr=lr, steps=steps, steps_run=stop.step, flow_time=lr * stop.step, dtype=dtype,
                               record_every=record_every, gram_gap=gap, reason=reason, loss=loss, weighted=True)
    if not stop.diverged and lr_lambda >= 2.0:
        reason = (f"lr * lam_1 = {lr_lambda:.4g} >= 2: the minimiser is linearly unstable under GD "
                  "(period-2 oscillation just above 2, irregular further above; THEORY §4)")
    elif not stop.diverged and not converged:
        reason = (f"not at the minimiser after {steps} steps: ||WW^T - G*||_F = {gap:.3g} lam_m" if loss == "qwem"
                  else f"not every learned mode is past half height after {steps} steps")
    return recorder.result("gd" if loss == "qwem" else f"gd-{loss}", final, device=str(torch_device),
                           converged=converged, diverged=stop.diverged, lr=lr, steps=steps, steps_run=stop.step,
                           flow_time=lr * stop.step, dtype=dtype, record_every=record_every,
                           lr_times_lambda1=lr_lambda, gram_gap=gap, reason=reason, loss=loss)


def _weighted_problem(prediction: ClosedForm, weight, target) -> tuple[np.ndarray, np.ndarray]:
    """G^ = G / mean(G) and the weighted run's M*, validated: V x V, finite, symmetric, G >= 0 with mean > 0."""
    from theory.validation import as_real_matrix, check_symmetric

    size = prediction.size
    weight = check_symmetric(as_real_matrix(weight, "weight G"), "weight G")
    target = prediction.target if target is None else check_symmetric(as_real_matrix(target, "target"), "target")
    for name, array in (("weight G", weight), ("target", target)):
        if array.shape != (size, size):
            raise InputError(f"{name} must have shape ({size}, {size}) = (V, V), got {array.shape}")
    if np.any(weight < 0):
        raise InputError("weight G must be >= 0 (G = Psi+ P + Psi- P_iP_j)")
    scale = float(weight.mean())
    if not scale > 0:
        raise InputError("weight G must have a positive mean")
    return weight / scale, target


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.float64).numpy()


def _progress_bar(total: int, enabled: bool):
    from sims.progress import progress_bar

    return progress_bar(total, "gd", enabled, unit="step")
