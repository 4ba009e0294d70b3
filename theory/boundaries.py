"""Where the claims break (THEORY §8): each predicted boundary formula once, in plain NumPy, for the validity maps.

Coordinates are the maps' own: GD in (eta lam_1, lam_min / lam_1), step separation in (sigma, relative
gap g = 1 - lam_(k+1)/lam_k), SGD's noise floor in (batch, V). Nothing here simulates anything.
"""

from __future__ import annotations

import numpy as np

from theory.dynamics import half_height_time

__all__ = ["gd_stiffest_rate", "gd_critical_eta_lambda1", "gd_escape_eta_lambda1", "separation_gap",
           "separation", "sgd_noise_floor", "sgd_floor_batch", "typical_step_time"]


def gd_stiffest_rate(top, smallest) -> np.ndarray:
    """c = max(lam_1, (lam_1 - lam_min) / 2): GD converges iff eta c < 2 (THEORY §4, §8)."""
    top, smallest = np.broadcast_arrays(np.asarray(top, float), np.asarray(smallest, float))
    return np.maximum(top, 0.5 * (top - smallest))


def gd_critical_eta_lambda1(ratio) -> np.ndarray:
    """The largest eta lam_1 at which GD converges, for lam_min / lam_1 = `ratio`: 2 / max(1, (1 - ratio) / 2).

    It is eta lam_1 = 2 while ratio >= -3, and the refined line eta (lam_1 - lam_min) / 2 = 2, i.e.
    eta lam_1 = 4 / (1 - ratio), below (THEORY §8).
    """
    return 2.0 / gd_stiffest_rate(1.0, ratio)


def gd_escape_eta_lambda1() -> float:
    """eta lam_1 = 4: beyond it the top mode's GD map escapes to infinity (derived here, not in THEORY).

    Aligned, one GD step maps s to s (1 - eta/2 (s^2 - lam)); with y = s sqrt(eta/2) this is y -> r y - y^3,
    r = 1 + eta lam / 2, whose interval |y| <= sqrt(r + 1) is invariant iff its critical value
    (2r/3) sqrt(r/3) <= sqrt(r + 1), i.e. r <= 3: eta lam <= 4. Between 2 and 4 GD stays bounded and
    oscillates (period 2 just above 2, irregular further above: THEORY §4).
    """
    return 4.0


def separation(gap, sigma) -> np.ndarray:
    """(relative gap) x ln(1/sigma^2): the e-folds between neighbouring steps (THEORY §3, §8)."""
    return np.asarray(gap, float) * np.log(1.0 / np.asarray(sigma, float) ** 2)


def separation_gap(sigma, threshold: float = 4.0) -> np.ndarray:
    """The relative gap at which steps stop separating at init scale sigma: g ln(1/sigma^2) = threshold.

    THEORY §8: steps separate when g ln(1/sigma^2) >> 4, below it neighbouring steps merge; the claims
    themselves require 8 (theory.dynamics.MIN_SEPARATION).
    """
    return threshold / np.log(1.0 / np.asarray(sigma, float) ** 2)


def sgd_noise_floor(lr, size, batch, gap) -> np.ndarray:
    """Pair-sampled SGD's stationary 1 - overlap, up to an O(1) factor: lr V^3 / (B (lam_m - lam_(m+1))).

    THEORY §8: the relative gradient noise per step is ~ V / (lam sqrt B) under Setting 3.1 on near-uniform
    statistics, so the stationary distance from the minimiser scales like lr V^3 / B; it leaks into the
    first unlearned direction against the restoring rate lam_m - lam_(m+1).
    """
    size = np.asarray(size, float)
    return np.asarray(lr, float) * size ** 3 / (np.asarray(batch, float) * np.asarray(gap, float))


def sgd_floor_batch(lr, size, gap, deficit: float) -> np.ndarray:
    """The batch at which `sgd_noise_floor` equals `deficit` (e.g. 0.05 for overlap 0.95)."""
    return sgd_noise_floor(lr, size, 1.0, gap) / float(deficit)


def typical_step_time(eigenvalue, sigma, size: int, k: int) -> np.ndarray:
    """Half-height time of mode k from a typical N(0, sigma^2) init: QR strength r_k^2 ~ sigma^2 (V - k + 1).

    THEORY §3's QR predictor with r_k(0)^2 at its mean (a chi-square with V - k + 1 degrees of freedom).
    """
    strength = np.asarray(sigma, float) ** 2 * (int(size) - int(k) + 1)
    return half_height_time(eigenvalue, strength)
