"""The SGNS loss and its quartic approximation QWEM (THEORY §1), as exact expectations over P."""

from __future__ import annotations

import numpy as np

from theory.target import Cooccurrence, psi_weights


def qwem_loss(w: np.ndarray, stats: Cooccurrence, psi_pos=None, psi_neg=None, negatives: float = 1.0) -> float:
    """L(W) = E_{P_ij}[Psi+ (x^2/4 - x)] + E_{P_i P_j}[Psi- (x^2/4 + x)], x = w_i . w_j."""
    psi_pos, psi_neg = psi_weights(stats, psi_pos, psi_neg, negatives)
    x = w @ w.T
    return float(np.sum(psi_pos * stats.joint * (x * x / 4 - x) + psi_neg * stats.independent * (x * x / 4 + x)))


def sgns_loss(w: np.ndarray, stats: Cooccurrence, psi_pos=None, psi_neg=None, negatives: float = 1.0) -> float:
    """L_sgns(W) = E_{P_ij}[Psi+ log(1 + e^-x)] + E_{P_i P_j}[Psi- log(1 + e^x)]."""
    psi_pos, psi_neg = psi_weights(stats, psi_pos, psi_neg, negatives)
    x = w @ w.T
    return float(np.sum(psi_pos * stats.joint * np.logaddexp(0.0, -x) + psi_neg * stats.independent * np.logaddexp(0.0, x)))
