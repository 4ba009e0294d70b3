"""THEORY §1-§2 claims on the closed-form core: target matrix, square completion, minimiser, plateaus."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.optimize

from sims.claims.recording import relative
from sims.claims.registry import Measurement, register, require
from theory import spectrum
from theory.losses import qwem_loss
from theory.predictions import closed_form, rank_one_minimiser
from theory.target import Cooccurrence, pmi, setting31_weights, target_matrix, weight_matrix


@dataclass(frozen=True)
class StatisticsCase:
    """Co-occurrence statistics, a W to evaluate the loss at (V x d), and Setting 3.1's g or k negatives."""

    stats: Cooccurrence = field(repr=False)
    w: np.ndarray = field(repr=False)
    g: float = 1.0
    negatives: float = 1.0
    seed: int = 0
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"StatisticsCase(V={self.stats.joint.shape[0]}, g={self.g}, k={self.negatives})"


@dataclass(frozen=True)
class TargetCase:
    """A symmetric target M* with its exact eigenvalues (descending), d, and a seed for random starts."""

    matrix: np.ndarray = field(repr=False)
    eigenvalues: tuple
    dim: int
    seed: int = 0
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"TargetCase(eigenvalues={self.eigenvalues}, dim={self.dim})"

    @cached_property
    def prediction(self):
        return closed_form(self.matrix, self.dim)

    @cached_property
    def dense_truncation(self) -> np.ndarray:
        """sum_{k<=d} max(lam_k, 0) v_k v_k^T from a dense eigh: the reference the solvers are held to."""
        values, vectors = np.linalg.eigh(self.matrix)
        order = np.argsort(values)[::-1][: self.dim]
        return (vectors[:, order] * np.clip(values[order], 0, None)) @ vectors[:, order].T


@register("T1", "Setting 3.1: the QWEM loss is L(W) = (g/4)||WW^T - M*||_F^2 - (g/4)||M*||_F^2 for every W",
          source="Theorem 1", tolerance="identity", section=2)
def square_completion(case: StatisticsCase) -> Measurement:
    psi = setting31_weights(case.stats, case.g)
    m = target_matrix(case.stats, psi, psi)
    loss = qwem_loss(case.w, case.stats, psi, psi)
    residual = np.sum((case.w @ case.w.T - m) ** 2)
    completed = case.g / 4 * residual - case.g / 4 * np.sum(m ** 2)
    return Measurement(abs(loss - completed), completed, loss, scale=case.g / 4 * (residual + np.sum(m ** 2)),
                       what="QWEM loss vs its square completion")


def _random_psi(case: StatisticsCase):
    rng = np.random.default_rng(case.seed)
    size = case.stats.joint.shape[0]
    a = rng.uniform(0.1, 2.0, (size, size))
    psi_pos = a + a.T
    return psi_pos, case.negatives * psi_pos * rng.uniform(0.5, 1.5)


@register("P2", "any symmetric Psi: L(W) - 1/4 sum_ij G_ij (WW^T - M*)_ij^2 = -1/4 sum G M*^2, whatever W",
          source="Proposition 2", tolerance="identity", section=2)
def weighted_square_completion(case: StatisticsCase) -> list:
    psi_pos, psi_neg = _random_psi(case)
    m = target_matrix(case.stats, psi_pos, psi_neg)
    g = weight_matrix(case.stats, psi_pos, psi_neg)

    def gap(w):
        return qwem_loss(w, case.stats, psi_pos, psi_neg) - 0.25 * np.sum(g * (w @ w.T - m) ** 2)

    other = np.random.default_rng(case.seed + 1).standard_normal(case.w.shape)
    constant = -0.25 * np.sum(g * m ** 2)
    scale = abs(qwem_loss(case.w, case.stats, psi_pos, psi_neg)) + abs(constant)
    return [Measurement(abs(gap(case.w) - gap(other)), gap(case.w), gap(other), scale=scale,
                        what="L(W) - 1/4 sum G (WW^T - M*)^2 at two W"),
            Measurement(abs(gap(case.w) - constant), constant, gap(case.w), scale=scale, what="the constant")]


@register("M1", "Psi+ = Psi-: M* lies in [-2, 2), equals -2 exactly where P_ij = 0, and PMI = 2 artanh(M*/2)",
          source="THEORY §1 (M* bounds, PMI relation)", tolerance="identity", section=1)
def target_bounds(case: StatisticsCase) -> Measurement:
    m = target_matrix(case.stats)
    require(np.all(m >= -2.0) and np.all(m < 2.0), "M* in [-2, 2)", measured=(m.min(), m.max()))
    require(np.array_equal(m == -2.0, case.stats.joint == 0.0), "M* = -2 exactly where P_ij = 0")
    seen = case.stats.joint > 0
    return Measurement(relative(pmi(case.stats)[seen], 2 * np.arctanh(m[seen] / 2)),
                       what="PMI vs 2 artanh(M*/2) on seen pairs")


@register("M1-k", "Psi- = k Psi+: M* = 2 (P_ij - k P_i P_j) / (P_ij + k P_i P_j)",
          source="THEORY §1 (k negatives)", tolerance="identity", section=1)
def target_with_negatives(case: StatisticsCase) -> Measurement:
    p, q = case.stats.joint, case.negatives * case.stats.independent
    return Measurement(relative(target_matrix(case.stats, negatives=case.negatives), 2 * (p - q) / (p + q)),
                       what="target_matrix vs 2(P - kPP)/(P + kPP)")


def _lbfgs(objective, start):
    return scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 20000})


@register("P2-min", "G = g g^T: Gamma^-1 (Gamma M* Gamma)_[d] Gamma^-1 is the global minimiser of "
                    "sum G (WW^T - M*)^2 (no L-BFGS start beats it, the best reaches it)",
          source="Proposition 2 (rank-one G)", tolerance="numerical_minimiser", section=2)
def rank_one_weighted_minimiser(case: TargetCase) -> list:
    rng = np.random.default_rng(case.seed)
    size = case.matrix.shape[0]
    g = rng.uniform(0.5, 2.0, size)
    weights = np.outer(g, g)

    def objective(flat):
        w = flat.reshape(size, case.dim)
        r = w @ w.T - case.matrix
        return 0.25 * np.sum(weights * r * r), (weights * r) @ w

    predicted = 0.25 * np.sum(weights * (rank_one_minimiser(case.matrix, g, case.dim) - case.matrix) ** 2)
    best = min(_lbfgs(objective, rng.standard_normal(size * case.dim)).fun for _ in range(3))
    scale = max(1.0, abs(best))
    return [Measurement(max(predicted - best, 0.0), predicted, best, scale=scale,
                        what="closed-form loss above the best L-BFGS loss"),
            Measurement(max(best - predicted, 0.0), predicted, best, scale=scale,
                        what="best L-BFGS loss above the closed form")]


@register("MIN1", "the minimiser is the eigen-truncation by value: WW^T = sum_(k<=d) max(lam_k, 0) v_k v_k^T",
          source="Theorem 1 (minimiser)", tolerance="eigen_truncation", section=2)
def truncation_by_value(case: TargetCase) -> list:
    p = case.prediction
    require(p.learned_modes == int(np.sum(np.asarray(case.eigenvalues)[: case.dim] > 0)),
            "learned modes = positive eigenvalues among the top d", measured=p.learned_modes)
    return [Measurement(relative(p.gram, case.dense_truncation), what="closed-form Gram vs dense eigh truncation"),
            Measurement(relative(p.embeddings @ p.embeddings.T, case.dense_truncation),
                        what="embeddings' Gram vs dense eigh truncation")]


@register("MIN1-LANCZOS", "the top-k Lanczos solver used at large V returns the top eigenpairs by value, "
                          "as a dense eigh does",
          source="Theorem 1 (minimiser), large-V eigensolver", tolerance="eigen_truncation", section=2)
def lanczos_by_value(case: TargetCase) -> list:
    values, vectors = spectrum.lanczos_top(case.matrix, case.dim)
    exact, exact_vectors = np.linalg.eigh(case.matrix)
    order = np.argsort(exact)[::-1][: case.dim]
    expected = (exact_vectors[:, order] * exact[order]) @ exact_vectors[:, order].T
    return [Measurement(relative(values, exact[order]), exact[order], values,
                        what="top-k eigenvalues, Lanczos vs dense eigh"),
            Measurement(relative((vectors * values) @ vectors.T, expected),
                        what="V_k diag(lam_k) V_k^T, Lanczos vs dense eigh")]


@register("MIN2", "a negative eigenvalue larger in magnitude than lam_d is never fitted: W^T v_neg = 0 and "
                  "WW^T stays positive semi-definite",
          source="Theorem 1 (negative eigenvalues never fitted)", tolerance="eigen_truncation", section=2)
def negatives_never_fitted(case: TargetCase) -> list:
    p = case.prediction
    values, vectors = np.linalg.eigh(case.matrix)
    negative = vectors[:, np.argmin(values)]
    require(values.min() < -abs(p.eigenvalues[case.dim - 1]), "the case has a negative eigenvalue beyond lam_d")
    return [Measurement(float(np.linalg.norm(p.embeddings.T @ negative)), scale=float(np.linalg.norm(p.embeddings)),
                        what="||W^T v_neg|| relative to ||W||"),
            Measurement(max(0.0, -float(np.linalg.eigvalsh(p.gram).min())), scale=float(case.eigenvalues[0]),
                        what="most negative eigenvalue of WW^T relative to lam_1")]


@register("MIN3-ZERO", "an exactly-zero eigenvalue of M* is not a learned mode, whatever its rounding",
          source="Theorem 1 (only positive eigenvalues are fitted)", tolerance="exact_count", section=2)
def zeros_not_learned(case: TargetCase) -> Measurement:
    p = case.prediction
    expected = int(np.count_nonzero(np.asarray(case.eigenvalues)[: case.dim] > 0))
    require(np.all(np.isfinite(p.aligned_step_times(1e-4))), "step times stay defined")
    return Measurement(abs(p.learned_modes - expected), expected, p.learned_modes,
                       what="learned modes minus the exactly positive eigenvalues among the top d")


@register("MIN3", "with fewer positive eigenvalues than d, the minimiser's surplus singular values are exactly 0",
          source="Theorem 1 (fewer positive eigenvalues than d)", tolerance="exact_count", section=2)
def surplus_zero(case: TargetCase) -> Measurement:
    p = case.prediction
    positive = int(np.count_nonzero(np.asarray(case.eigenvalues) > 0))
    singular = np.linalg.svd(p.embeddings, compute_uv=False)
    require(p.learned_modes == positive and np.all(singular[:positive] > 0), "the positive modes are learned",
            predicted=positive, measured=p.learned_modes)
    return Measurement(float(np.count_nonzero(singular[positive:] != 0.0)), 0, singular[positive:],
                       what="surplus singular values that are not exactly 0")


@register("MIN4", "L-BFGS on ||WW^T - M*||^2 from a random start reaches the eigen-truncation (a global minimiser)",
          source="Theorem 1 (global minimiser)", tolerance="numerical_minimiser", section=2)
def numerical_minimiser(case: TargetCase) -> Measurement:
    size = case.matrix.shape[0]

    def objective(flat):
        w = flat.reshape(size, case.dim)
        r = w @ w.T - case.matrix
        return 0.25 * np.sum(r * r), r @ w

    w = _lbfgs(objective, np.random.default_rng(case.seed).standard_normal(size * case.dim)).x.reshape(size, case.dim)
    return Measurement(relative(w @ w.T, case.prediction.gram), what="L-BFGS Gram vs eigen-truncation")


@register("PL1", "on the saddle with the top k modes learned, ||WW^T - M*||_F^2 = E_k = sum_(j>k) lam_j^2 "
                 "(negatives included), and each step lowers it",
          source="THEORY §2 (plateaus)", tolerance="identity", section=2)
def plateau_errors(case: TargetCase) -> list:
    p = case.prediction
    values = np.asarray(case.eigenvalues)
    scale = float(np.sum(values ** 2))
    out = []
    for k in range(p.learned_modes + 1):
        w = p.embeddings[:, :k]
        direct = float(np.sum((w @ w.T - case.matrix) ** 2))
        out.append(Measurement(abs(p.plateau_errors[k] - direct), p.plateau_errors[k], direct, scale=scale,
                               what=f"E_{k} vs ||W_k W_k^T - M*||^2 evaluated directly"))
        out.append(Measurement(abs(p.plateau_errors[k] - np.sum(values[k:] ** 2)), np.sum(values[k:] ** 2),
                               p.plateau_errors[k], scale=scale, what=f"E_{k} vs sum_(j>{k}) lam_j^2"))
    require(p.final_error == p.plateau_errors[-1] and np.all(np.diff(p.plateau_errors) < 0),
            "each learned step lowers the error, ending at the final error", measured=p.plateau_errors)
    return out
