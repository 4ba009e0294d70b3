"""GloVe trained by full-batch gradient descent in PyTorch (THEORY §7; the mathematics is theory/glove.py).

The model (theory/glove.py's conventions): tied embeddings W (V x d) and tied biases b (w~ = w, b~ = b), loss

    J(W, b) = sum_ij F_ij (w_i.w_j + b_i + b_j - target_ij)^2,

with weights="glove" GloVe's own F = f(X) (0 where X_ij = 0, so only observed pairs count) and target log X_ij,
or weights="uniform" F = 1 on every pair and target log(1 + X_ij), the variant with a closed form.

One step, and the time unit
---------------------------
W(0) has entries N(0, sigma^2) (the caller's `initial`); b starts at 0 and is first set to its optimum for
W(0). Each step moves W along the exact gradient of J over the observed entries at the current (W, b) and
sets the biases to their exact optimum for that same W:

    W <- W - lr (1/8) grad_W J(W, b) = W - lr 1/2 (F o E) W,   b <- argmin_b J(W, b),
    E = W W^T + b 1^T + 1 b^T - target.

The biases are GloVe's fast variables: their Hessian block 4 (diag(F 1) + F) has eigenvalues up to ~8V for
uniform weights, while W grows at rates lam_k, so one shared lr would force ~V t_end steps; minimising them
out is the limit of giving them their own, stable, preconditioned step, and J's fixed points are unchanged.
Step n sits at flow time t = lr n in the unit dW/dt = -(1/8) grad_W J, in which a mode of the uniform-weight
model grows at rate lam_k of C = J_c log(1 + X) J_c exactly as in THEORY §2.
- uniform: the optimal biases are closed-form (b* = T 1/V - mean(T)/2 - W c + |c|^2/2, c the mean row), so
  they are computed for W_n itself before its step: this is full-batch GD on the profile J(W, b*(W))
  (envelope theorem), which theory/glove.py shows is GD on C for J_c W, with the mean row frozen, exactly.
  (F o E) W = W (W^T W) + V b c^T + 1 (b^T W) - T W: one V x V x d product (T W) per step, no V x V temporary.
- glove: one V x V x (d + 2) product gives F o E (as F o ([W | b | 1] [W | 1 | b]^T) - F o log X), a second
  gives [(F o E) W | (F o E) 1]; the last column is the residual (D + F) b - h of the bias system
  (D + F) b = h = (F o (log X - W W^T)) 1, D = diag(F 1), which conjugate gradients (Jacobi preconditioner,
  started from the previous step's correction) then solve to a relative residual BIAS_TOLERANCE. The
  preconditioned matrix's eigenvalues lie in [1 + mu_min, 2], mu_min >= -1 the smallest eigenvalue of
  D^-1/2 F D^-1/2 (~-0.35 on a real corpus at V = 5000): a few O(V^2) iterations per step. So the biases a step
  uses are optimal for the W of the step before (exactly so for W(0)); W moves by O(lr) per step, so this
  changes the trajectory at O(lr), as Euler's delay does, and leaves the fixed points alone.

Records: singular values of W from the d x d Gram W^T W (float64), the loss J, W's top-k left singular
subspace's overlap ||V_k^T U_k||_F^2 / k with the reference closed form's top-k eigenvectors for every
k <= m (extra["subspace_overlaps"], T x m; `overlap` is its last column), and the effective rank
#{k <= m : s_k^2 > lam_k / 2} against the reference's eigenvalues. The reference is the uniform-weight
closed form (theory.glove.glove_closed_form) unless the caller gives one. `error` and `loss` both hold J at
the step's biases (for uniform weights, optimal: J = ||C - J_c W W^T J_c||_F^2, QWEM's error on C, THEORY §2).
extra["biases"] are the optimum for the final W.
Deterministic given W(0): the same input gives a bit-identical result on CPU.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from sims.simulators.device import resolve_device, resolve_dtype, thread_policy
from sims.simulators.trajectory import SimulationResult, gram_gap, is_converged
from theory.dynamics import default_init_scale
from theory.glove import (ALPHA, WEIGHTS, X_MAX, check_counts, glove_closed_form, glove_linearised_target,
                          glove_weights, log_counts, smoothed_log_counts)
from theory.predictions import ClosedForm, random_init
from theory.validation import InputError, check_dim, check_positive

TIME_UNIT = "flow time t = lr x steps of dW/dt = -(1/8) grad_W J (uniform weights: modes grow at rate lam_k of C)"
TARGET_RECORDS = 500
# Residual of the bias system (diag(F1) + F) b = (F o (L - G)) 1 at which CG stops, relative to the norm of its
# right-hand side at W = 0: a bias error delta enters the W gradient as F o (delta 1^T + 1 delta^T), so this is
# about the relative error the step inherits. float64 (tests, claims): far below anything measured. float32 (the
# real-text row): 1e-4, below the O(lr) effect of the biases' one-step lag that the run accepts anyway, and each
# further decade costs ~2 more O(V^2) iterations per step (measured at V = 5000, d = 200: 5.7 per step at 1e-5,
# 3.7 at 1e-4).
BIAS_TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
BIAS_MAX_ITERATIONS = 200
# ||W||_F^2 above DIVERGENCE_FACTOR x max(||W(0)||^2, d lam_1 of the reference, lam_1) counts as diverged
# (as sims.simulators.gd.norm_bound; weighted GloVe's minimiser is of the same scale as the uniform one's
# since 0 <= F <= 1).
DIVERGENCE_FACTOR = 100.0
# A weighted run counts as settled (converged) when no learned s_k^2 moved by more than this fraction
# over the last SETTLE_WINDOW of its records.
SETTLE_CHANGE = 1e-3
SETTLE_WINDOW = 0.1

# train_glove_row's schedule (the real-text row). lr = ROW_STEP_FRACTION / c, c the stiffest rate of the
# loss's Hessian in W at small init (ClosedForm.stiffest_rate of the linearised target K): forward Euler is
# stable for lr c < 2, so 1 keeps a factor 2, and the final embedding does not depend on the O(lr) delay.
ROW_STEP_FRACTION = 1.0
# Train to 1.5x the last QR-predicted step time of K (the real-text study's TRAIN_TIME_FACTOR: the rise from
# half height to within 1e-3 of the top takes another ~0.5 tau_d when r^2 ~ 1e-6 lam_d).
ROW_TIME_FACTOR = 1.5
ROW_RECORDS = 60
ROW_OVERLAP_DIRECTIONS = 10
ROW_MAX_STEPS = 20_000


class _UniformState:
    """Uniform weights, target T = log(1 + X): exact optimal biases in closed form, one T W product per step."""

    def __init__(self, counts: np.ndarray, w0: torch.Tensor):
        dtype, device = w0.dtype, w0.device
        target = smoothed_log_counts(counts)
        self.size = target.shape[0]
        self.target = torch.as_tensor(target, dtype=dtype, device=device)
        rows = target.mean(axis=1)
        self.row_means = torch.as_tensor(rows, dtype=dtype, device=device)
        self.grand_mean = float(rows.mean())
        centred = target - rows[:, None] - rows[None, :] + self.grand_mean
        self.centred_sq = float(np.vdot(centred, centred))
        self.w = w0.clone()
        self.b = torch.zeros(self.size, dtype=dtype, device=device)
        self.direction = torch.empty_like(self.w)
        self.bias_iterations = 0

    def prepare(self) -> None:
        """b <- b*(W); direction <- (F o E) W = W (W^T W) + V b c^T + 1 (b^T W) - T W."""
        w = self.w
        tw = self.target @ w
        c = w.mean(dim=0)
        self.b = self.row_means - 0.5 * self.grand_mean - w @ c + 0.5 * torch.dot(c, c)
        torch.mm(w, w.T @ w, out=self.direction)
        self.direction.sub_(tw)
        self.direction.addr_(self.b, c, alpha=float(self.size))
        self.direction.add_((self.b @ w)[None, :])
        self._tw, self._c = tw, c

    def update(self, lr: float) -> None:
        self.w.add_(self.direction, alpha=-0.5 * lr)

    def loss(self) -> float:
        """J at the optimal biases = ||C - Z Z^T||_F^2 = ||C||^2 - 2 tr(Z^T T Z) + ||Z^T Z||^2, Z = J_c W."""
        z = self.w - self._c[None, :]
        tz = self._tw - (self.size * self.row_means)[:, None] * self._c[None, :]
        ztz = z.T @ z
        value = self.centred_sq - 2.0 * float(torch.sum(z * tz)) + float(torch.sum(ztz * ztz))
        return max(value, 0.0)


class _WeightedState:
    """GloVe's weights F = f(X) on observed pairs, target log X: two V x V x (d + 2) products and one V x V pass per
    step, plus the bias CG's matrix-vector products (see the module docstring)."""

    def __init__(self, counts: np.ndarray, w0: torch.Tensor, tolerance: float, x_max: float, alpha: float):
        dtype, device = w0.dtype, w0.device
        f = glove_weights(counts, x_max, alpha)
        fl = f * log_counts(counts)
        self.size, dim = f.shape[0], w0.shape[1]
        self.f = torch.as_tensor(f, dtype=dtype, device=device)
        self.neg_fl = torch.as_tensor(-fl, dtype=dtype, device=device)
        rows = f.sum(axis=1)
        diagonal = rows + np.diag(f)
        self.inverse_diagonal = torch.as_tensor(np.where(diagonal > 0, 1.0 / np.where(diagonal > 0, diagonal, 1.0),
                                                         0.0), dtype=dtype, device=device)
        self.rows = torch.as_tensor(rows, dtype=dtype, device=device)
        self.scale = max(float(np.linalg.norm(fl.sum(axis=1))), 1e-300)  # ||h|| at W = 0
        self.tolerance = float(tolerance)
        # left = [W | b | 1], right = [W | 1 | b]: left right^T = W W^T + b 1^T + 1 b^T in one product.
        self.left = torch.ones((self.size, dim + 2), dtype=dtype, device=device)
        self.right = torch.ones((self.size, dim + 2), dtype=dtype, device=device)
        self.left[:, :dim] = w0
        self.w = self.left[:, :dim]          # a view: updating W updates both factors' first block
        self.b = torch.zeros(self.size, dtype=dtype, device=device)
        self.a = torch.empty((self.size, self.size), dtype=dtype, device=device)
        self.w_one = torch.ones((self.size, dim + 1), dtype=dtype, device=device)  # [W | 1]
        self.product_t = torch.empty((dim + 1, self.size), dtype=dtype, device=device)
        self.bias_iterations = 0
        self._last_delta = None
        self._fill_products()
        self._residual_products()
        self.b.add_(self._conjugate_gradients(-self.product[:, dim]))  # b(0) = b*(W(0)), from 0

    def _fill_products(self) -> None:
        """a <- F o (W W^T + b 1^T + 1 b^T - log X)."""
        dim = self.w.shape[1]
        self.left[:, dim] = self.b
        self.right[:, :dim] = self.w
        self.right[:, dim + 1] = self.b
        torch.mm(self.left, self.right.T, out=self.a)
        torch.addcmul(self.neg_fl, self.a, self.f, out=self.a)

    def _residual_products(self) -> None:
        """product <- a [W | 1] = [(F o E) W | (F o E) 1], computed as ([W | 1]^T a)^T (a is symmetric; the wide
        product is the faster GEMM shape on CPU)."""
        self.w_one[:, : self.w.shape[1]] = self.w
        torch.mm(self.w_one.T, self.a, out=self.product_t)
        self.product = self.product_t.T

    def prepare(self) -> None:
        """direction <- (F o E(W, b)) W for the current (W, b); then b <- b*(W) for the same W (CG from the
        residual (F o E) 1 = (D + F) b - h, which the same product gives)."""
        dim = self.w.shape[1]
        self._fill_products()
        self._residual_products()
        self.direction = self.product[:, :dim]
        self._next_bias = self._conjugate_gradients(-self.product[:, dim], self._last_delta)
        if self._next_bias is not None:
            self._last_delta = self._next_bias

    def update(self, lr: float) -> None:
        self.w.add_(self.direction, alpha=-0.5 * lr)
        if self._next_bias is not None:
            self.b.add_(self._next_bias)

    def _system(self, x: torch.Tensor) -> torch.Tensor:
        """(diag(F 1) + F) x."""
        return self.rows * x + self.f @ x

    def _conjugate_gradients(self, residual: torch.Tensor, guess: torch.Tensor | None = None):
        """Preconditioned CG for (D + F) delta = residual (None when already within tolerance), started from `guess`
        (the previous step's correction: the optimum moves smoothly, so consecutive corrections are close)."""
        target = self.tolerance * self.scale
        if float(torch.linalg.vector_norm(residual)) <= target:
            return None
        if guess is None:
            delta, r = torch.zeros_like(residual), residual.clone()
        else:
            delta = guess.clone()
            r = residual - self._system(delta)
            self.bias_iterations += 1
            if float(torch.linalg.vector_norm(r)) <= target:
                return delta
        z = r * self.inverse_diagonal
        p = z.clone()
        rz = float(torch.dot(r, z))
        for _ in range(BIAS_MAX_ITERATIONS):
            q = self._system(p)
            pq = float(torch.dot(p, q))
            if not pq > 0:
                break
            step = rz / pq
            delta.add_(p, alpha=step)
            r.sub_(q, alpha=step)
            self.bias_iterations += 1
            if float(torch.linalg.vector_norm(r)) <= target:
                break
            z = r * self.inverse_diagonal
            rz_next = float(torch.dot(r, z))
            p.mul_(rz_next / rz).add_(z)
            rz = rz_next
        return delta

    def loss(self) -> float:
        """J(W, b) = sum F E^2 = sum (F o E)^2 / F over observed pairs (F o E is exactly 0 where F = 0), at the
        biases the last direction was computed with."""
        return float(torch.sum(self.a * self.a / self.f.clamp_min(torch.finfo(self.f.dtype).tiny)))


def _nested_overlaps(directions: np.ndarray, w: np.ndarray, vectors: np.ndarray, sv: np.ndarray) -> np.ndarray:
    """||V_k^T U_k||_F^2 / k for k = 1..m (V = `directions`, V x m; U = W's left singular vectors, U_k = W Q_k / s_k
    from the eigenvectors Q of W^T W; columns with s = 0 carry no direction)."""
    m = directions.shape[1]
    m_w = min(m, w.shape[1])
    safe = np.where(sv[:m_w] > 0, sv[:m_w], 1.0)
    projected = (directions.T @ w) @ vectors[:, :m_w] / safe
    projected[:, sv[:m_w] == 0] = 0.0
    squares = projected ** 2
    return np.array([float(np.sum(squares[:k, :k]) / k) for k in range(1, m + 1)])


class _Recorder:
    """Singular values (from W^T W), J, overlaps with the reference's top-k eigenvectors, effective rank."""

    def __init__(self, reference: ClosedForm, also: np.ndarray | None = None):
        self.directions = reference.learned_directions
        self.eigenvalues = reference.learned_eigenvalues
        self.m = reference.learned_modes
        self.also = also
        self.times, self.singular_values, self.losses, self.ranks, self.overlaps = [], [], [], [], []
        self.also_overlaps = []

    def measure(self, time_: float, w: np.ndarray, loss: float) -> None:
        gram = w.T @ w
        values, vectors = np.linalg.eigh(0.5 * (gram + gram.T))
        order = np.argsort(values)[::-1]
        values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
        sv = np.sqrt(values)
        self.times.append(float(time_))
        self.singular_values.append(sv)
        self.losses.append(float(loss))
        self.ranks.append(int(np.count_nonzero(sv[: self.m] ** 2 > self.eigenvalues / 2)))
        self.overlaps.append(_nested_overlaps(self.directions, w, vectors, sv) if self.m else np.ones(0))
        if self.also is not None:
            self.also_overlaps.append(_nested_overlaps(self.also, w, vectors, sv))


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.float64).numpy()


def _progress_bar(total: int, enabled: bool):
    from sims.progress import progress_bar

    return progress_bar(total, "glove", enabled, unit="step")


def run_glove(counts, initial, lr: float, steps: int, *, weights: str = "glove", reference: ClosedForm | None = None,
              record_every: int | None = None, dtype: str = "float64", device: str = "cpu",
              x_max: float = X_MAX, alpha: float = ALPHA, also_overlap: np.ndarray | None = None,
              progress: bool = False) -> SimulationResult:
    """GloVe (tied W and b) by full-batch GD from W(0) = `initial`, b(0) = 0, for `steps` steps of flow time `lr`.

    `weights` "glove" (f(X) on observed pairs, target log X) or "uniform" (1 on every pair, target
    log(1 + X)); `reference` the closed form the overlaps and effective rank are measured against (default
    theory.glove.glove_closed_form(counts, d)). Records step 0, every `record_every`-th step (default steps //
    500) and the last. `also_overlap` (V x k orthonormal columns, e.g. another target's top eigenvectors): its
    nested overlaps ||A_j^T U_j||_F^2 / j, j = 1..k, are recorded too (extra["also_overlaps"], T x k). A
    non-finite W or ||W||_F^2 beyond the divergence bound stops the run (diverged, the last finite W kept).
    `converged`: uniform, the centred Gram is within the converged_gram tolerance of the closed form's; glove,
    every learned s_k^2 moved by < SETTLE_CHANGE over the last SETTLE_WINDOW of the run.
    """
    if weights not in WEIGHTS:
        raise InputError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
    x = check_counts(counts)
    lr = check_positive(lr, "learning rate")
    if isinstance(steps, bool) or int(steps) != steps or int(steps) < 1:
        raise InputError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    w0 = np.asarray(initial, dtype=np.float64)
    if w0.ndim != 2 or w0.shape[0] != x.shape[0] or not np.all(np.isfinite(w0)):
        raise InputError(f"W(0) must be a finite ({x.shape[0]}, d) array, got shape {w0.shape}")
    dim = check_dim(w0.shape[1], x.shape[0])
    reference = glove_closed_form(x, dim) if reference is None else reference
    if reference.size != x.shape[0] or reference.learned_modes > dim:
        raise InputError(f"the reference closed form (V = {reference.size}, {reference.learned_modes} modes) does not "
                         f"fit the counts (V = {x.shape[0]}) and W(0) (d = {dim})")
    record_every = max(1, steps // TARGET_RECORDS) if record_every is None else int(record_every)
    if record_every < 1:
        raise InputError(f"record_every must be >= 1, got {record_every}")
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    top = max(float(reference.eigenvalues[0]), 0.0)
    bound = DIVERGENCE_FACTOR * max(float(np.sum(w0 ** 2)), dim * top, top, 1e-300)

    with torch.no_grad(), thread_policy(torch_device, x.shape[0]):
        w_start = torch.as_tensor(w0, dtype=torch_dtype, device=torch_device)
        state = _UniformState(x, w_start) if weights == "uniform" else \
            _WeightedState(x, w_start, BIAS_TOLERANCE[dtype], x_max, alpha)
        recorder = _Recorder(reference, None if also_overlap is None else np.asarray(also_overlap, dtype=np.float64))
        last_w, last_step, diverged, reason = _numpy(state.w), 0, False, ""
        bar = _progress_bar(steps, progress)
        started = time.perf_counter()
        try:
            for n in range(steps + 1):
                state.prepare()
                if n % record_every == 0 or n == steps:
                    w_now = _numpy(state.w)
                    norm_sq = float(np.sum(w_now ** 2))
                    if not math.isfinite(norm_sq) or norm_sq > bound or not np.all(np.isfinite(w_now)):
                        diverged = True
                        reason = (f"diverged at step {n} (flow time {lr * n:.6g}): ||W||_F^2 = {norm_sq:.3g} "
                                  f"exceeds {bound:.3g}" if math.isfinite(norm_sq) else
                                  f"diverged at step {n} (flow time {lr * n:.6g}): W became non-finite")
                        break
                    recorder.measure(lr * n, w_now, state.loss())
                    last_w, last_step = w_now, n
                if n == steps:
                    break
                state.update(lr)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        seconds = time.perf_counter() - started
        if getattr(state, "_next_bias", None) is not None and not diverged:
            state.b.add_(state._next_bias)  # the biases' optimum for the final W
        biases = _numpy(state.b)

    singular = np.asarray(recorder.singular_values).reshape(len(recorder.times), -1)
    overlaps = np.asarray(recorder.overlaps).reshape(len(recorder.times), -1)
    m = reference.learned_modes
    if weights == "uniform":
        gap = gram_gap(reference, last_w - last_w.mean(axis=0, keepdims=True))
        converged = not diverged and is_converged(reference, last_w - last_w.mean(axis=0, keepdims=True))
    else:
        gap = float("nan")
        window = max(1, int(round(SETTLE_WINDOW * len(recorder.times))))
        sq = singular[:, :m] ** 2
        change = np.abs(sq[-1] - sq[max(0, len(sq) - 1 - window)]) / np.maximum(sq[-1], 1e-300) if m else np.zeros(0)
        converged = not diverged and bool(np.all(change < SETTLE_CHANGE))
    if not diverged and not converged:
        reason = (f"not at the closed form after {steps} steps: ||J_c WW^T J_c - G*||_F = {gap:.3g} lam_m"
                  if weights == "uniform" else f"the learned singular values still move by >= {SETTLE_CHANGE:g} "
                                               f"over the last {SETTLE_WINDOW:.0%} of the run")
    losses = np.asarray(recorder.losses)
    return SimulationResult(
        method="glove" if weights == "glove" else "glove-uniform", times=np.asarray(recorder.times),
        singular_values=singular, error=losses, loss=losses.copy(),
        effective_rank=np.asarray(recorder.ranks, dtype=np.int64),
        overlap=overlaps[:, m - 1] if m else np.ones(len(recorder.times)), embeddings=last_w,
        eigenvalues=reference.learned_eigenvalues.copy(), converged=bool(converged), diverged=bool(diverged),
        device=str(torch_device),
        extra={"weights": weights, "lr": lr, "steps": steps, "steps_run": last_step, "flow_time": lr * last_step,
               "time_unit": TIME_UNIT, "dtype": dtype, "record_every": record_every, "biases": biases,
               "subspace_overlaps": overlaps,
               "also_overlaps": None if also_overlap is None else np.asarray(recorder.also_overlaps),
               "bias_iterations": int(state.bias_iterations), "gram_gap": gap,
               "x_max": x_max, "alpha": alpha, "seconds": seconds, "reason": reason,
               "lr_times_stiffest": lr * float(reference.stiffest_rate) if weights == "uniform" else None})


def glove_schedule(linearised: ClosedForm, initial: np.ndarray, fraction: float = ROW_STEP_FRACTION,
                   time_factor: float = ROW_TIME_FACTOR) -> dict:
    """lr = fraction / c (c = linearised.stiffest_rate, W's stiffest rate at small init) and steps to time_factor x
    the last QR-predicted step time of the linearised target (THEORY §3's predictor applied to K)."""
    lr = float(fraction) / float(linearised.stiffest_rate)
    predicted = linearised.random_step_times(initial)
    t_end = float(time_factor) * float(np.max(predicted))
    return {"lr": lr, "steps": int(math.ceil(t_end / lr)), "t_end": t_end, "predicted_step_times": predicted,
            "stiffest_rate": float(linearised.stiffest_rate)}


def linearised_closed_form(counts: np.ndarray, dim: int) -> ClosedForm:
    """theory.predictions.ClosedForm of GloVe's linearised target K (theory.glove.glove_linearised_target), its top
    d + 1 eigenpairs from float32 LAPACK: 2-3x faster than float64 at V = 5000 (measured 32 s vs 88 s on a loaded
    2-core machine) with eigenvalues equal to ~1e-7 relative, ample for what they set here (lr, sigma, horizon)."""
    import scipy.linalg

    from theory.spectrum import Spectrum

    k = glove_linearised_target(counts)
    size = k.shape[0]
    count = min(dim + 1, size)
    values, vectors = scipy.linalg.eigh(k.astype(np.float32), subset_by_index=[size - count, size - 1], driver="evr")
    order = np.argsort(values)[::-1]
    spectrum = Spectrum(values[order].astype(np.float64), vectors[:, order].astype(np.float64),
                        float(np.vdot(k, k)), size)
    return ClosedForm(target=k, dim=dim, spectrum=spectrum)


def train_glove_row(counts: np.ndarray, dim: int, seed: int, *, device: str = "cpu",
                    progress: bool = False) -> tuple[np.ndarray, dict]:
    """GloVe for the real-text study: embeddings (V x d, float64) and an info dict.

    GloVe's own weights f(X) on observed pairs with biases (run_glove, weights="glove", float32), tied, from
    W(0) ~ N(0, sigma^2) with the real-text study's sigma (sigma^2 V = 1e-6 mu_d, theory.dynamics
    default_init_scale("realtext") with mu_d the d-th eigenvalue of the linearised target K of
    theory.glove.glove_linearised_target), lr and steps from the theory (glove_schedule: lr = 1/c with c the
    stiffest rate of the loss's Hessian in W at small init; 1.5x the last predicted step time of K).
    info: the time unit, lr, steps, flow time, final loss J, the final overlap of W's top-10 left singular space
    with the top-10 eigenvectors of its own closed-form target C = J_c log(1 + X) J_c (and of K), the effective
    rank #{k <= d : s_k^2 > mu_k / 2} (modes past half the height the linearisation gives them), the number
    of modes past half height against C, and the wall time of each stage.
    """
    start = time.perf_counter()
    x = check_counts(counts, "GloVe counts")
    dim = check_dim(dim, x.shape[0])
    size = x.shape[0]
    linearised = linearised_closed_form(x, dim)
    t_linearised = time.perf_counter() - start
    if linearised.learned_modes < 1:
        raise InputError("GloVe's linearised target has no positive eigenvalue: nothing grows from small init")
    sigma = default_init_scale("realtext", float(linearised.learned_eigenvalues[-1]), size)
    initial = random_init(size, dim, sigma, seed)
    schedule = glove_schedule(linearised, initial)
    steps = min(schedule["steps"], ROW_MAX_STEPS)
    reference = glove_closed_form(x, min(ROW_OVERLAP_DIRECTIONS, dim))
    t_setup = time.perf_counter() - start
    result = run_glove(x, initial, schedule["lr"], steps, weights="glove", reference=reference, dtype="float32",
                       device=device, record_every=max(1, steps // ROW_RECORDS), progress=progress)
    w = result.embeddings
    left = np.linalg.svd(w - w.mean(axis=0, keepdims=True), full_matrices=False)[0]
    k = min(ROW_OVERLAP_DIRECTIONS, dim)
    from theory.dynamics import subspace_overlap

    m_c = min(k, reference.learned_modes)
    mu = linearised.learned_eigenvalues
    sv = result.singular_values[-1]
    info = {
        "model": "glove", "time_unit": TIME_UNIT, "weights": "glove", "x_max": X_MAX, "alpha": ALPHA,
        "sigma": sigma, "seed": int(seed), "lr": schedule["lr"], "steps": int(result.extra["steps_run"]),
        "steps_planned": int(schedule["steps"]), "flow_time": float(result.extra["flow_time"]),
        "t_needed": schedule["t_end"], "last_predicted_step_time": float(np.max(schedule["predicted_step_times"])),
        "stiffest_rate": schedule["stiffest_rate"], "final_loss": float(result.loss[-1]),
        "overlap_top10": subspace_overlap(reference.learned_directions[:, :m_c], left, m_c) if m_c else float("nan"),
        "overlap_top10_linearised": subspace_overlap(linearised.learned_directions[:, :min(k, len(mu))], left,
                                                     min(k, len(mu))),
        "effective_rank": int(np.count_nonzero(sv[: len(mu)] ** 2 > mu / 2)),
        "effective_rank_closed_form": int(result.effective_rank[-1]),
        "diverged": bool(result.diverged), "settled": bool(result.converged), "reason": result.extra["reason"],
        "bias_iterations": int(result.extra["bias_iterations"]),
        "seconds": {"linearised_spectrum": t_linearised, "setup": t_setup - t_linearised,
                    "training": float(result.extra["seconds"]), "total": time.perf_counter() - start},
    }
    return w, info
