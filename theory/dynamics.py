"""Closed-form numerics of the learning dynamics (THEORY §2-§4) in plain NumPy, for simulators and claims.

Every formula here is derived in theory/symbolic.py; the claim SYM-NUM (tests/claims/test_s1_derivation.py)
checks that each one equals its lambdified SymPy expression, so this module can stay free of SymPy
and every simulator imports it cheaply.
"""

from __future__ import annotations

import math

import numpy as np

# Steps k and k+1 count as separated when mode k+1 grows by >= MIN_SEPARATION e-folds between them,
# lam_(k+1) (t_(k+1) - t_k) >= 8: THEORY §3's "(relative gap) x ln(1/sigma^2) >> 4", made concrete
# as twice the threshold. Claims about plateaus, silent alignment and GD's delay require it.
MIN_SEPARATION = 8.0


def _floats(*arrays):
    return np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))


def mode_trajectory(times, eigenvalue, initial) -> np.ndarray:
    """s^2(t) = lam u0 / (u0 + (lam - u0) e^(-lam t)) of an aligned mode (Lemma 3.1; broadcasts).

    Written in e^(-lam t) so that late times never overflow; lam = 0 is the limit u0 / (1 + u0 t).
    """
    times, eigenvalue, initial = _floats(times, eigenvalue, initial)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        decay = np.exp(-eigenvalue * times)
        values = eigenvalue * initial / (initial + (eigenvalue - initial) * decay)
    return np.where(eigenvalue == 0, initial / (1.0 + initial * times), values)


def time_to_fraction(eigenvalue, initial, fraction) -> np.ndarray:
    """Time at which the logistic s^2(t) from s^2(0) = initial reaches fraction x lam (0 < fraction < 1).

    s^2 = f lam  <=>  e^(lam t) = f (lam - u0) / (u0 (1 - f)) (Lemma 3.1 inverted).
    """
    eigenvalue, initial, fraction = _floats(eigenvalue, initial, fraction)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(fraction * (eigenvalue - initial) / (initial * (1.0 - fraction))) / eigenvalue


def rise_time(eigenvalue, low: float = 0.1, high: float = 0.9) -> np.ndarray:
    """Time a logistic mode takes from s^2 = low x lam to high x lam: ln(high (1 - low) / (low (1 - high))) / lam.

    It does not depend on s^2(0) (Lemma 3.1): ln(81) / lam from 10 % to 90 %, the width of one step.
    """
    eigenvalue = np.asarray(eigenvalue, dtype=np.float64)
    return np.log(high * (1.0 - low) / (low * (1.0 - high))) / eigenvalue


def half_height_time(eigenvalue, initial) -> np.ndarray:
    """The step time: s^2 reaches lam / 2 at ln((lam - u0) / u0) / lam (lam > 0, u0 < lam / 2)."""
    return time_to_fraction(eigenvalue, initial, 0.5)


def characteristic_time(eigenvalue, initial) -> np.ndarray:
    """tau = ln(lam / s^2(0)) / lam of an aligned mode (THEORY §2; broadcasts)."""
    eigenvalue, initial = _floats(eigenvalue, initial)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(eigenvalue / initial) / eigenvalue


def step_separations(eigenvalues, step_times) -> np.ndarray:
    """S_k = lam_k (t_k - t_(k-1)) with t_0 = 0: the e-folds mode k grows between its step and the previous one."""
    eigenvalues, step_times = np.asarray(eigenvalues, float), np.asarray(step_times, float)
    return eigenvalues * np.diff(np.concatenate([[0.0], step_times]))


def competitor_separations(eigenvalues, step_times, next_eigenvalue: float) -> np.ndarray:
    """For mode k, the e-folds by which it leads its competitor: lam_(k+1) (t_(k+1) - t_k) for k < m, and
    (lam_m - max(lam_(m+1), 0)) t_m for the last learned mode (it outgrows the first unlearned one)."""
    eigenvalues, step_times = np.asarray(eigenvalues, float), np.asarray(step_times, float)
    tail = (eigenvalues[-1] - max(float(next_eigenvalue), 0.0)) * step_times[-1]
    return np.append(eigenvalues[1:] * np.diff(step_times), tail)


def plateau_midpoints(step_times) -> np.ndarray:
    """Midway between consecutive steps, and between t = 0 and the first: where the plateaus E_k are read."""
    edges = np.concatenate([[0.0], np.asarray(step_times, dtype=np.float64)])
    return 0.5 * (edges[:-1] + edges[1:])


def subspace_overlap(reference: np.ndarray, basis: np.ndarray, k: int | None = None) -> float:
    """||A_k^T B_k||_F^2 / k for orthonormal columns A_k, B_k: 1 when the spans agree, k/V by chance."""
    k = reference.shape[1] if k is None else k
    return float(np.linalg.norm(reference[:, :k].T @ basis[:, :k]) ** 2 / k)


def left_singular_basis(embeddings: np.ndarray, k: int) -> np.ndarray:
    """Orthonormal basis of the top-k left singular space of W (V x d)."""
    left, _, _ = np.linalg.svd(embeddings, full_matrices=False)
    return left[:, :k]


def sgd_flow_time_per_step(lr: float, tied: bool = True, mean_weight: float = 1.0) -> float:
    """Flow time one step of SGD (or GD on the QWEM loss) advances: 2 g lr tied, g lr untied (THEORY §4).

    Tied, the QWEM gradient is (G o (WW^T - M*)) W, which with G = g is 2g x 1/2 (WW^T - M*) W: a step
    of lr is the flow dW/dt = -1/2 (WW^T - M*) W advanced by 2 g lr. Untied, each factor's gradient
    carries one order of every pair, g lr. g = mean_ij G_ij (1 under Setting 3.1; exact when G is constant).
    """
    return (2.0 if tied else 1.0) * float(mean_weight) * float(lr)


def settle_time(learned_eigenvalues, next_eigenvalue: float, reduction: float) -> float:
    """Flow time after the last step for the state to relax by the factor `reduction` (< 1).

    Linearised at the minimiser (ClosedForm.stiffest_rate's argument), a learned mode relaxes at rate
    lam_m and W's rotation towards the first unlearned eigenvector at (lam_m - max(lam_(m+1), 0)) / 2,
    the slowest rate of all; the Gram error is linear in that rotation.
    """
    lam_m = float(np.asarray(learned_eigenvalues)[-1])
    rate = min(lam_m, 0.5 * (lam_m - max(float(next_eigenvalue), 0.0)))
    return float(np.log(1.0 / reduction) / max(rate, 1e-300))


def gd_euler_delay_fraction(lr: float, eigenvalue) -> np.ndarray:
    """Fractional delay of a GD step time against the flow for a mode growing on its own: eta lam / 4.

    GD multiplies s^2 by (1 + eta lam / 2)^2 = exp(eta lam (1 - eta lam / 4 + ...)) per step of flow time
    eta, so an exponential rise takes longer by the factor 1 / (1 - eta lam / 4) ~ 1 + eta lam / 4 (THEORY §4).
    """
    return float(lr) * np.asarray(eigenvalue, dtype=np.float64) / 4.0


# Default sigma of W_ij(0) ~ N(0, sigma^2), one policy per caller, each with its reason:
# `simulate` / `predict`: small enough that the QR predictor matches half-height times to <~0.1 %
# (THEORY §3; tolerance step_time_qr's reason).
CLI_INIT_SCALE = 1e-4
# `report`: ln(1/sigma^2) = 55, so relative gaps of ~0.2 already give a separation gap x ln(1/sigma^2)
# ~ 10 >> 4 (THEORY §3); a larger sigma would need wider gaps, hence a smaller lam_d, and pair-sampled
# SGD's cost grows like 1/lam_d^2.
REPORT_INIT_SCALE = 1e-12
# Real text: sigma^2 V = REALTEXT_INIT_FRACTION x lam_d, so every mode starts ln(1/fraction) ~ 14 e-folds
# below its final height and steps are well separated (THEORY §3: gap x ln(1/sigma^2) >> 4).
REALTEXT_INIT_FRACTION = 1e-6
INIT_POLICIES = ("cli", "report", "realtext")


def word2vec_init_scale(dim: int) -> float:
    """The standard deviation of word2vec's own init, 1 / (d sqrt(12)).

    word2vec (and gensim) draw each entry uniformly from [-0.5/d, 0.5/d]; the real-text study's second dynamics
    figure (paper Fig. 2) draws N(0, sigma^2) entries with this sigma, the same second moment, which is all the
    QR predictor of THEORY §3 sees at leading order.
    """
    return 1.0 / (int(dim) * math.sqrt(12.0))


def default_init_scale(kind: str, smallest_learned_eigenvalue: float | None = None,
                       size: int | None = None) -> float:
    """The default init scale sigma for one caller (`kind` in INIT_POLICIES; reasons beside the constants).

    "realtext" scales with the problem: sigma = sqrt(REALTEXT_INIT_FRACTION lam_d / V), so it needs the
    smallest learned eigenvalue lam_d and the vocabulary size V.
    """
    if kind == "cli":
        return CLI_INIT_SCALE
    if kind == "report":
        return REPORT_INIT_SCALE
    if kind == "realtext":
        if smallest_learned_eigenvalue is None or size is None:
            raise ValueError("the realtext init scale needs the smallest learned eigenvalue and V")
        return float(np.sqrt(REALTEXT_INIT_FRACTION * float(smallest_learned_eigenvalue) / int(size)))
    raise ValueError(f"init policy must be one of {', '.join(INIT_POLICIES)}, got {kind!r}")
