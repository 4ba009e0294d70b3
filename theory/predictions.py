"""Closed-form predictions (THEORY §2-§3): final embeddings, plateaus, trajectories and step times."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from theory.spectrum import Spectrum, smallest_eigenvalue, top_eigenpairs
from theory.dynamics import characteristic_time, half_height_time, mode_trajectory
from theory.validation import InputError, as_real_matrix, check_dim, check_positive, check_symmetric


def random_init(size: int, dim: int, scale: float, seed: int) -> np.ndarray:
    """W_ij(0) ~ N(0, scale^2), float64, drawn from `seed`: the one init every simulator and predictor uses."""
    return scale * np.random.default_rng(seed).standard_normal((size, dim))


# An eigenvalue below ZERO_EIGENVALUE_FACTOR * V eps max|lam| is rounding, not a mode. LAPACK bounds the
# eigenvalue error by p(V) eps ||M||_2 with p modest, on top of the rounding already in M; an exact 0 came
# out as 2.0 V eps max|lam| (scipy's evr on a 6 x 6 Q diag(lam) Q^T), so numpy's matrix_rank rule
# (factor 1) is too tight. 100 leaves room; a true eigenvalue that small would take ~1/lam to learn anyway.
ZERO_EIGENVALUE_FACTOR = 100.0


def learned_mode_count(eigenvalues: np.ndarray, dim: int, size: int | None = None) -> int:
    """Number of modes a rank-d factorisation learns: the top d eigenvalues that are > 0 (Theorem 1).

    An eigenvalue within rounding of zero (see ZERO_EIGENVALUE_FACTOR) counts as zero: its mode
    would take infinitely long to learn.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    size = len(eigenvalues) if size is None else size
    floor = (ZERO_EIGENVALUE_FACTOR * size * np.finfo(np.float64).eps
             * float(np.max(np.abs(eigenvalues), initial=0.0)))
    return int(np.count_nonzero(eigenvalues[:dim] > floor))


def qr_initial_strengths(initial: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """r_k(0)^2 = R_kk^2 of W(0)^T V_m = QR: the effective initial s_k^2 of each mode (THEORY §3).

    Column k of W(0)^T V_m, orthogonalised against the columns before it, is what mode k grows
    from once the modes above it have taken their share of W's right singular space.
    """
    _, r = np.linalg.qr(initial.T @ directions)
    return np.abs(np.diag(r)) ** 2


def rank_one_minimiser(target: np.ndarray, g: np.ndarray, dim: int) -> np.ndarray:
    """Proposition 2 with G = g g^T: the Gram Gamma^-1 (Gamma M* Gamma)_[d] Gamma^-1, Gamma = diag(g)^(1/2)."""
    g = np.asarray(g, dtype=np.float64)
    if np.any(g <= 0):
        raise InputError("the rank-one weight vector g must be > 0")
    gamma = np.sqrt(g)
    scaled = gamma[:, None] * target * gamma[None, :]
    spectrum = top_eigenpairs(scaled, dim)
    keep = np.clip(spectrum.eigenvalues[:dim], 0.0, None)
    factor = spectrum.eigenvectors[:, :dim] * np.sqrt(keep) / gamma[:, None]
    return factor @ factor.T


@dataclass(frozen=True)
class ClosedForm:
    """Every closed-form prediction for one target M* and embedding dimension d.

    Build it with `closed_form(target, dim)`; its spectrum is computed once and every
    prediction below reuses it.
    """

    target: np.ndarray = field(repr=False)
    dim: int
    spectrum: Spectrum = field(repr=False)

    @property
    def size(self) -> int:
        return self.spectrum.size

    @property
    def eigenvalues(self) -> np.ndarray:
        """The computed eigenvalues, descending by value (at least d + 1 of them when V > d + 1)."""
        return self.spectrum.eigenvalues

    @cached_property
    def learned_modes(self) -> int:
        return learned_mode_count(self.eigenvalues, self.dim, self.size)

    @property
    def learned_eigenvalues(self) -> np.ndarray:
        return self.eigenvalues[: self.learned_modes]

    @property
    def learned_directions(self) -> np.ndarray:
        """V_m: the eigenvectors of the learned modes, V x m."""
        return self.spectrum.eigenvectors[:, : self.learned_modes]

    @cached_property
    def embeddings(self) -> np.ndarray:
        """Final W = V_d max(Lambda_d, 0)^(1/2), V x d; surplus columns (no positive mode) are zero."""
        w = np.zeros((self.size, self.dim))
        w[:, : self.learned_modes] = self.learned_directions * np.sqrt(self.learned_eigenvalues)
        return w

    @cached_property
    def gram(self) -> np.ndarray:
        """Final W W^T = sum_{k<=d} max(lam_k, 0) v_k v_k^T."""
        w = self.embeddings[:, : self.learned_modes]
        return w @ w.T

    @cached_property
    def plateau_errors(self) -> np.ndarray:
        """E_k = ||W W^T - M*||_F^2 on the plateau with the top k modes learned, k = 0..learned_modes."""
        learned_sq = np.concatenate([[0.0], np.cumsum(self.learned_eigenvalues ** 2)])
        # Subtracting from ||M*||^2 avoids needing the full spectrum; clip rounding below zero.
        return np.maximum(self.spectrum.frobenius_sq - learned_sq, 0.0)

    @property
    def final_error(self) -> float:
        """||W W^T - M*||_F^2 at the end of training: sum of squares of the eigenvalues not learned."""
        return float(self.plateau_errors[-1])

    def plateau_losses(self, g: float = 1.0) -> np.ndarray:
        """QWEM loss on each plateau under Setting 3.1: (g/4) E_k - (g/4) ||M*||_F^2."""
        return 0.25 * g * (self.plateau_errors - self.spectrum.frobenius_sq)

    @cached_property
    def stiffest_rate(self) -> float:
        """Largest relaxation rate of the flow at the minimiser: max(lam_1, (lam_1 - lam_min) / 2).

        Linearising dW/dt = -1/2 (WW^T - M*) W at W = V_d Lambda_d^1/2, a learned mode relaxes at rate
        lam_k and a perturbation v_j e_i^T along an unlearned eigenvector at rate (lam_i - lam_j) / 2, so
        a negative lam_min < -lam_1 is the stiffest direction (THEORY §4's eta lam_1 < 2 assumes not; THEORY §8
        says -3 lam_1, but the max above switches at -lam_1, where the gd-stability map measures it too).
        """
        top = float(self.eigenvalues[0])
        return max(top, 0.5 * (top - smallest_eigenvalue(self.target)), 1e-300)

    @property
    def gd_stability_limit(self) -> float:
        """Largest learning rate at which full-batch GD converges to the minimiser: 2 / stiffest_rate."""
        return 2.0 / self.stiffest_rate

    def aligned_init(self, scale: float) -> np.ndarray:
        """W(0) = scale * V_d (aligned init with s_k(0)^2 = scale^2 on every learned mode)."""
        w = np.zeros((self.size, self.dim))
        w[:, : self.learned_modes] = scale * self.learned_directions
        return w

    def aligned_step_times(self, scale: float) -> np.ndarray:
        """Half-height times of the learned modes from aligned init s_k^2(0) = scale^2 (Lemma 3.1)."""
        return self._half_height(np.full(self.learned_modes, check_positive(scale, "init scale") ** 2))

    def characteristic_times(self, scale: float) -> np.ndarray:
        """tau_k = ln(lam_k / s_k^2(0)) / lam_k for aligned init (THEORY §2); tau_1 sets the rescaled time."""
        return characteristic_time(self.learned_eigenvalues, check_positive(scale, "init scale") ** 2)

    def random_initial_strengths(self, initial: np.ndarray) -> np.ndarray:
        """r_k(0)^2 of the QR predictor for a given random W(0)."""
        if initial.shape != (self.size, self.dim):
            raise InputError(f"W(0) must have shape ({self.size}, {self.dim}), got {initial.shape}")
        return qr_initial_strengths(initial, self.learned_directions)

    def random_step_times(self, initial: np.ndarray) -> np.ndarray:
        """Finite-sigma QR predictor of the half-height times from a random W(0) (THEORY §3)."""
        return self._half_height(self.random_initial_strengths(initial))

    def limit_step_ratios(self) -> np.ndarray:
        """sigma -> 0 limit of the step times in units of tau_1: lam_1 / lam_k."""
        return self.learned_eigenvalues[0] / self.learned_eigenvalues

    def trajectory(self, times, initial_strengths) -> np.ndarray:
        """s_k^2(t) of each learned mode (T x m) from s_k^2(0) = `initial_strengths` (logistic, Lemma 3.1)."""
        times = np.asarray(times, dtype=np.float64)[:, None]
        return mode_trajectory(times, self.learned_eigenvalues[None, :],
                               np.asarray(initial_strengths, dtype=np.float64)[None, :])

    def error_trajectory(self, times, initial_strengths) -> np.ndarray:
        """||W W^T - M*||_F^2 (T,) along the decoupled logistic modes: sum_k (lam_k - s_k^2(t))^2 + E_m.

        E_m = plateau_errors[-1] is what no learned mode can fit (every other eigenvalue, squared); the QWEM
        loss is (g/4) times this minus (g/4) ||M*||_F^2 (Theorem 1).
        """
        strengths = self.trajectory(times, initial_strengths)
        return np.sum((self.learned_eigenvalues[None, :] - strengths) ** 2, axis=1) + self.final_error

    def _half_height(self, strengths: np.ndarray) -> np.ndarray:
        lam = self.learned_eigenvalues
        if np.any(strengths >= lam / 2):
            raise InputError("the initialisation is not small: some mode starts at or above half its final height")
        return half_height_time(lam, strengths)


def effective_rank(step_times: np.ndarray, times) -> np.ndarray:
    """Predicted number of modes past half height at each time: #{k : t >= step_times[k]}."""
    return np.searchsorted(np.sort(step_times), np.asarray(times, dtype=np.float64), side="right")


def closed_form(target, dim: int, extra_eigenvalues: int = 10) -> ClosedForm:
    """Validate a symmetric target M* and compute the spectrum every prediction needs.

    Computes the top max(d + 1, `extra_eigenvalues`) eigenpairs (all of them when V is smaller).
    """
    target = check_symmetric(as_real_matrix(target, "target matrix"), "target matrix")
    target = 0.5 * (target + target.T)
    dim = check_dim(dim, target.shape[0])
    spectrum = top_eigenpairs(target, max(dim + 1, extra_eigenvalues))
    return ClosedForm(target=target, dim=dim, spectrum=spectrum)
