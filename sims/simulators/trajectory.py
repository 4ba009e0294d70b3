"""What every simulator shares: the trajectory of W recorded against the closed form (SimulationResult) and its checks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from theory.dynamics import subspace_overlap
from theory.predictions import ClosedForm
from theory.tolerances import tolerance
from theory.validation import InputError


class Recorder:
    """Measures W (numpy, V x d) against one target: singular values, error, loss, rank, overlap.

    The factorisation error uses ||WW^T - M||^2 = ||W^T W||^2 - 2 tr(W^T M W) + ||M||^2, so no
    V x V temporary is formed.
    """

    def __init__(self, prediction: ClosedForm):
        self.prediction = prediction
        self.target_sq = prediction.spectrum.frobenius_sq
        self.learned = prediction.learned_modes
        self.half_heights = prediction.learned_eigenvalues / 2
        self.directions = prediction.learned_directions
        self.times: list[float] = []
        self.singular_values: list[np.ndarray] = []
        self.errors: list[float] = []
        self.ranks: list[int] = []
        self.overlaps: list[float] = []

    def measure(self, time: float, w: np.ndarray, mw: np.ndarray | None = None) -> None:
        """Record W at flow time `time`; pass M W if the simulator already has it."""
        w = np.asarray(w, dtype=np.float64)
        if mw is None:
            mw = self.prediction.target @ w
        left, sv, _ = np.linalg.svd(w, full_matrices=False)
        gram_small = w.T @ w
        error = float(np.vdot(gram_small, gram_small) - 2.0 * np.vdot(w, mw) + self.target_sq)
        sq = sv[: self.learned] ** 2
        self.times.append(float(time))
        self.singular_values.append(sv)
        self.errors.append(max(error, 0.0))
        self.ranks.append(int(np.count_nonzero(sq > self.half_heights)))
        self.overlaps.append(subspace_overlap(self.directions, left, self.learned) if self.learned else 1.0)

    def result(self, method: str, w: np.ndarray, device: str, converged: bool, diverged: bool,
               **extra) -> "SimulationResult":
        errors = np.asarray(self.errors)
        return SimulationResult(
            method=method,
            times=np.asarray(self.times),
            singular_values=np.asarray(self.singular_values).reshape(len(self.times), -1),
            error=errors,
            loss=0.25 * (errors - self.target_sq),
            effective_rank=np.asarray(self.ranks, dtype=np.int64),
            overlap=np.asarray(self.overlaps),
            embeddings=np.asarray(w, dtype=np.float64),
            eigenvalues=self.prediction.learned_eigenvalues.copy(),
            converged=bool(converged),
            diverged=bool(diverged),
            device=device,
            extra=extra,
        )


@dataclass
class SimulationResult:
    """A trajectory in gradient-flow time units and the final embeddings.

    `loss` is the QWEM loss under Setting 3.1 with g = 1: (1/4) error - (1/4) ||M*||_F^2 (Theorem 1).
    `overlap` is ||V_m^T U_m||_F^2 / m between M*'s learned eigenvectors and W's top-m left singular vectors.
    """

    method: str
    times: np.ndarray            # (T,) flow time
    singular_values: np.ndarray  # (T, d) descending
    error: np.ndarray            # (T,) ||W W^T - M*||_F^2
    loss: np.ndarray             # (T,)
    effective_rank: np.ndarray   # (T,) #{k <= m : s_k^2 > lam_k / 2}
    overlap: np.ndarray          # (T,)
    embeddings: np.ndarray       # final W, (V, d) float64
    eigenvalues: np.ndarray      # (m,) learned eigenvalues the steps are measured against
    converged: bool
    diverged: bool
    device: str
    extra: dict = field(default_factory=dict)

    @property
    def final_error(self) -> float:
        return float(self.error[-1])

    def measured_step_times(self) -> np.ndarray:
        """First time s_k^2 >= lam_k / 2 for each learned mode (NaN if never).

        Between two recorded samples the crossing is located by linear interpolation of
        log s_k^2, which is exact for the exponential growth that precedes each step.
        """
        sq = self.singular_values[:, : len(self.eigenvalues)] ** 2
        out = np.full(len(self.eigenvalues), np.nan)
        for k, lam in enumerate(self.eigenvalues):
            above = np.flatnonzero(sq[:, k] >= lam / 2)
            if above.size == 0:
                continue
            i = above[0]
            if i == 0:
                out[k] = self.times[0]
                continue
            lo, hi = np.log(sq[i - 1, k]), np.log(sq[i, k])
            frac = (np.log(lam / 2) - lo) / (hi - lo) if hi > lo else 1.0
            out[k] = self.times[i - 1] + frac * (self.times[i] - self.times[i - 1])
        return out

    def save(self, folder) -> None:
        """Write trajectory.npz (times, singular_values, loss, error, effective_rank, overlap) and embeddings.npy."""
        folder = Path(folder)
        np.savez(folder / "trajectory.npz", times=self.times, singular_values=self.singular_values,
                 loss=self.loss, error=self.error, effective_rank=self.effective_rank, overlap=self.overlap)
        np.save(folder / "embeddings.npy", self.embeddings)


def check_initial(prediction: ClosedForm, initial, name: str = "W(0)") -> np.ndarray:
    """W(0) as a finite float64 V x d array (InputError otherwise)."""
    w = np.asarray(initial)
    if w.dtype == object or not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)):
        raise InputError(f"{name} must hold real numbers, got dtype {w.dtype}")
    if w.shape != (prediction.size, prediction.dim):
        raise InputError(f"{name} must have shape ({prediction.size}, {prediction.dim}) = (V, d), got {w.shape}")
    w = np.array(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise InputError(f"{name} contains {int(np.count_nonzero(~np.isfinite(w)))} non-finite entries")
    return w


# Up to this V the Gram gap is formed densely (a V x V temporary of at most 72 MB): the expanded form
# below cancels catastrophically near the minimiser, where the gap is a tiny difference of O(lam^2) terms.
DENSE_GRAM_MAX_SIZE = 3000


def gram_gap(prediction: ClosedForm, w: np.ndarray) -> float:
    """||W W^T - G*||_F / lam_m: distance of W's Gram from the predicted final Gram G*, in units of the
    smallest learned eigenvalue (the distance to the nearest saddle, where mode m is missing).

    Formed densely up to V = DENSE_GRAM_MAX_SIZE, so that it stays accurate near the minimiser; above,
    ||WW^T - EE^T||^2 = ||W^T W||^2 - 2 ||W^T E||^2 + ||E^T E||^2 (E = V_m Lambda_m^1/2) avoids the V x V
    temporary, with an absolute rounding error ~ eps ||E||^2 in the squared gap.
    """
    w = np.asarray(w, dtype=np.float64)
    if prediction.size <= DENSE_GRAM_MAX_SIZE:
        gap = float(np.linalg.norm(w @ w.T - prediction.gram))
    else:
        e = prediction.embeddings[:, : prediction.learned_modes]
        wtw, wte, ete = w.T @ w, w.T @ e, e.T @ e
        gap = float(np.sqrt(max(np.vdot(wtw, wtw) - 2.0 * np.vdot(wte, wte) + np.vdot(ete, ete), 0.0)))
    scale = prediction.learned_eigenvalues[-1] if prediction.learned_modes else float(np.max(np.abs(prediction.eigenvalues)))
    return gap / scale if scale > 0 else gap


def is_converged(prediction: ClosedForm, w: np.ndarray) -> bool:
    """Whether W sits at the predicted minimiser (Gram within the `converged_gram` tolerance)."""
    return gram_gap(prediction, w) <= tolerance("converged_gram").value


def concatenate(first: SimulationResult, second: SimulationResult) -> SimulationResult:
    """One trajectory from a run and its continuation from the first run's final W (e.g. an annealed phase).

    The second run's times are shifted by the first's end and its starting record, a duplicate of the
    first's last, is dropped. Embeddings, convergence and extra come from the second run, with
    extra["phase_boundary"] (the flow time where it starts) and extra["first_phase"] (the first run's
    scalar extras) added; the result has diverged if either run did.
    """
    offset = float(first.times[-1])

    def join(a, b):
        return np.concatenate([a, b[1:]])

    return dataclasses.replace(
        second, times=join(first.times, second.times + offset),
        singular_values=join(first.singular_values, second.singular_values), error=join(first.error, second.error),
        loss=join(first.loss, second.loss), effective_rank=join(first.effective_rank, second.effective_rank),
        overlap=join(first.overlap, second.overlap), diverged=first.diverged or second.diverged,
        extra={**second.extra, "phase_boundary": offset,
               "first_phase": {k: v for k, v in first.extra.items() if np.isscalar(v)}})
