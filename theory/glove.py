"""GloVe (Pennington, Socher & Manning 2014) as this suite's theory sees it (THEORY §7): loss, weights, target,
and the closed form that applies when the weights are uniform.

GloVe minimises, over embeddings w_i, context embeddings w~_j and biases b_i, b~_j,

    J = sum_{X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,   f(x) = min(1, (x / x_max)^alpha),

with x_max = 100 and alpha = 3/4. Conventions of this module:

- **Tied weights**, as everywhere in this suite (THEORY §1): w~ = w (W in R^{V x d}) and, since X is
  symmetric, b~ = b. Tying the biases loses nothing: J is convex in (b, b~) and symmetric under b <-> b~ when
  X and w~ = w are, so the average of any optimal pair is optimal too.
- f(0) = 0, so "sum over observed pairs" is the sum over all pairs with weights f(X_ij); `glove_weights`
  returns that V x V weight matrix F (0 exactly where X_ij = 0).
- **GloVe's own target** is log X_ij on the observed pairs (`GloveTarget.log_counts`; set to 0 where X_ij = 0,
  where its weight is 0 and it never enters J).
- **The uniform-weight variant**, the one with a closed form: weight 1 on *every* one of the V^2 pairs. Its
  target must then be defined where X_ij = 0 too; we take the smoothed log count T_ij = log(1 + X_ij)
  (`GloveTarget.smoothed`): 0 on unobserved pairs, and log X_ij + log(1 + 1/X_ij) on observed ones, i.e.
  GloVe's own target up to at most log 2 (a single count) and ~1/X_ij for frequent pairs. Nothing is
  filtered or restricted; a fully observed count matrix with large counts makes the two targets agree.

Removing the biases (uniform weights). Write G = W W^T, R = T - G, 1 the ones vector, P = 1 1^T / V and
J_c = I - P the centring projector. The matrices {b 1^T + 1 b^T} form a linear subspace S of the symmetric
matrices, and R = (R - J_c R J_c) + J_c R J_c splits R orthogonally into S and its complement:
R - J_c R J_c = P R + R P - P R P = 1 r^T + r 1^T - m 1 1^T (r = R 1 / V, m = 1^T R 1 / V^2) lies in S, and
<b 1^T + 1 b^T, J_c R J_c> = 2 b^T J_c R J_c 1 = 0 because J_c 1 = 0. Hence

    min_b sum_ij (G_ij + b_i + b_j - T_ij)^2 = ||J_c (T - G) J_c||_F^2 = ||C - J_c W W^T J_c||_F^2,
    b*_i = mean_j R_ij - mean(R) / 2,      C = J_c T J_c  (the doubly-centred smoothed log counts),

so with the biases at their optimum the uniform-weight loss is the square-completion loss of Theorem 1 with
target C and embeddings Z = J_c W. C 1 = 0, so every eigenvector of C with a non-zero eigenvalue is
orthogonal to 1 and Z = V_d Lambda_d^{1/2} is attainable: the minimiser is

    J_c W W^T J_c = sum_{k <= d} max(lam_k, 0) v_k v_k^T    (lam_k, v_k: eigenpairs of C, by value),

and W = V_d Lambda_d^{1/2} U + 1 c^T for any orthogonal U and any mean row c: a shift w_i -> w_i + c changes
each score by c.w_i + c.w_j + |c|^2, which the biases absorb (b_i -> b_i - c.w_i - |c|^2 / 2), for any
weights. Explicitly b* = T 1 / V - mean(T) / 2 - W c + |c|^2 / 2 with c = W^T 1 / V the mean row: for centred W
(c = 0) it is `GloveTarget.biases`, the same at every time.

Dynamics. Time unit: dW/dt = -(1/8) grad_W J (a GD step of lr eta on J / 8 advances t by eta). grad_W J =
4 (F o E) W with E_ij = G_ij + b_i + b_j - target_ij, so with F = 1 this is dW/dt = -1/2 E W, THEORY §2's
convention, and in it a mode grows at rate lam_k. With the biases at their optimum for the current W (they
are the fast variables: J's Hessian in b is 4 (diag(F 1) + F), eigenvalues up to ~8V for uniform weights,
against W's rates lam_k), grad_b J = 4 (F o E) 1 = 0, so 1^T (F o E) W = 0: the mean row c is frozen, for any
weights. For uniform weights E = J_c G J_c - C, E W = E Z, and Z = J_c W follows exactly

    dZ/dt = -1/2 (Z Z^T - C) Z,

the flow of THEORY §2-§3 on the target C: from a small random init the flow learns C's eigen-directions one
at a time, with half-height times (1/lam_k) ln((lam_k - r_k^2) / r_k^2) ~ (1/lam_k) ln(lam_k / r_k^2), r_k(0)
from the QR decomposition of W(0)^T V_d (THEORY §3's finite-sigma predictor; V_d orthogonal to 1, so W(0)'s
mean row drops out). `glove_closed_form` returns these predictions as a theory.predictions.ClosedForm of C.

GloVe's own weights f on observed pairs have no closed form (a weighted low-rank approximation, THEORY §2
Proposition 2 with a general G); near W = 0, with its biases at their optimum b0 for W = 0, its flow is
dW/dt = 1/2 K W + O(W^3) with K = F o (L - b0 1^T - 1 b0^T) (`glove_linearised_target`): modes grow at K's
eigenvalues (with F = 1 and the target log(1 + X) in place of L, K = C). Whether it, too, learns C's
directions one at a time is the conjecture C-GLOVE-STEPWISE (refuted: its steps come at K's rates and its
first directions are K's eigenvectors, not C's; tests/conjectures/expected.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.predictions import ClosedForm, closed_form
from theory.validation import InputError, as_real_matrix, check_symmetric

# GloVe's weighting f(x) = min(1, (x / X_MAX)^ALPHA) (Pennington et al. 2014, eq. 9 and §4.2):
# X_MAX = 100: pairs seen at least 100 times get full weight, so the very frequent pairs do not dominate
# the loss (the paper's value; it reports weak dependence on it for its corpora).
X_MAX = 100.0
# ALPHA = 3/4: rare (noisy) pairs are down-weighted sub-linearly; the paper found 3/4 better than 1, the same
# exponent as word2vec's unigram^(3/4) negative sampling.
ALPHA = 0.75
# The uniform-weight variant's target on every pair is log(SMOOTHING + X_ij): 1 makes it 0 on unobserved
# pairs and log X_ij + O(1/X_ij) on observed ones (module docstring).
SMOOTHING = 1.0
WEIGHTS = ("glove", "uniform")


def check_counts(counts, name: str = "co-occurrence counts") -> np.ndarray:
    """Symmetric, non-negative, finite V x V counts (any real weights, not only integers), float64."""
    x = check_symmetric(as_real_matrix(counts, name), name)
    if np.any(x < 0):
        raise InputError(f"{name} has {int(np.count_nonzero(x < 0))} negative entries; counts must be >= 0")
    if not np.any(x > 0):
        raise InputError(f"{name} has no observed pair")
    return 0.5 * (x + x.T)


def glove_weights(counts, x_max: float = X_MAX, alpha: float = ALPHA) -> np.ndarray:
    """GloVe's weight matrix F_ij = f(X_ij) = min(1, (X_ij / x_max)^alpha), exactly 0 where X_ij = 0."""
    x = check_counts(counts)
    if not (x_max > 0 and alpha > 0):
        raise InputError(f"x_max and alpha must be > 0, got {x_max!r}, {alpha!r}")
    return np.minimum(1.0, (x / x_max) ** alpha)


def log_counts(counts) -> np.ndarray:
    """GloVe's own target: log X_ij where X_ij > 0, and 0 where X_ij = 0 (weight 0 there: never used)."""
    x = check_counts(counts)
    out = np.zeros_like(x)
    observed = x > 0
    out[observed] = np.log(x[observed])
    return out


def smoothed_log_counts(counts, smoothing: float = SMOOTHING) -> np.ndarray:
    """T_ij = log(smoothing + X_ij) on every pair: the uniform-weight variant's target (module docstring)."""
    return np.log(smoothing + check_counts(counts))


def double_centre(matrix: np.ndarray) -> np.ndarray:
    """J_c M J_c with J_c = I - 1 1^T / V: subtract row and column means, add back the grand mean."""
    m = np.asarray(matrix, dtype=np.float64)
    rows = m.mean(axis=1)
    out = m - rows[:, None] - m.mean(axis=0)[None, :] + rows.mean()
    return 0.5 * (out + out.T)


def uniform_optimal_biases(residual: np.ndarray) -> np.ndarray:
    """argmin_b sum_ij (b_i + b_j - R_ij)^2 = mean_j R_ij - mean(R) / 2 for symmetric R (module docstring)."""
    r = np.asarray(residual, dtype=np.float64)
    rows = r.mean(axis=1)
    return rows - 0.5 * rows.mean()


# weighted_optimal_biases: preconditioned conjugate gradients on (D + F) b = (F o R) 1, to this relative residual.
# The Jacobi-preconditioned matrix I + D^-1 F has its eigenvalues in [1 + mu_min, 2] (mu_min >= -1, the smallest
# eigenvalue of D^-1/2 F D^-1/2; -0.35 on a real corpus at V = 5000), so CG gains a fixed factor per iteration.
BIAS_RTOL = 1e-12
BIAS_MAX_ITERATIONS = 1000


def weighted_optimal_biases(weights: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """argmin_b sum_ij F_ij (b_i + b_j - R_ij)^2: the solution of (D + F) b = (F o R) 1, D = diag(F 1).

    The system is positive semi-definite (b^T (D + F) b = 1/2 sum_ij F_ij (b_i + b_j)^2), singular only for a word
    with no observed pair (its bias is left at 0) or a bipartite block of observed pairs (CG from 0 then converges
    to the minimum-norm minimiser, the right-hand side lying in the range). Jacobi-preconditioned CG, to a
    relative residual BIAS_RTOL (O(V^2) per iteration, no V^3 factorisation).
    """
    f = np.asarray(weights, dtype=np.float64)
    rows = f.sum(axis=1)
    diagonal = rows + np.diag(f)
    inverse = np.where(diagonal > 0, 1.0 / np.where(diagonal > 0, diagonal, 1.0), 0.0)
    rhs = (f * np.asarray(residual, dtype=np.float64)).sum(axis=1)
    b = np.zeros_like(rhs)
    r = rhs.copy()
    target = BIAS_RTOL * max(float(np.linalg.norm(rhs)), 1e-300)
    z = inverse * r
    p = z.copy()
    rz = float(r @ z)
    for _ in range(BIAS_MAX_ITERATIONS):
        if float(np.linalg.norm(r)) <= target:
            break
        q = rows * p + f @ p
        pq = float(p @ q)
        if not pq > 0:
            break
        step = rz / pq
        b += step * p
        r -= step * q
        z = inverse * r
        rz_next = float(r @ z)
        p = z + (rz_next / rz) * p
        rz = rz_next
    return b


@dataclass(frozen=True)
class GloveTarget:
    """GloVe's targets for one count matrix X (module docstring for the conventions)."""

    log_counts: np.ndarray  # log X_ij on observed pairs, 0 where X_ij = 0 (GloVe's own target)
    observed: np.ndarray    # X_ij > 0
    smoothed: np.ndarray    # T = log(1 + X): the uniform-weight target, every pair
    centred: np.ndarray     # C = J_c T J_c: the target of the uniform-weight closed form
    biases: np.ndarray      # b* = T 1 / V - mean(T) / 2: uniform-weight optimal biases for any centred W

    @property
    def size(self) -> int:
        return self.centred.shape[0]


def glove_target(counts, smoothing: float = SMOOTHING) -> GloveTarget:
    """GloVe's own target (log counts on observed pairs) and the uniform-weight variant's: T = log(1 + X), its
    double centring C (whose eigen-truncation is the closed form) and the optimal biases b*."""
    x = check_counts(counts)
    observed = x > 0
    own = np.zeros_like(x)
    own[observed] = np.log(x[observed])
    smoothed = np.log(smoothing + x)
    return GloveTarget(log_counts=own, observed=observed, smoothed=smoothed, centred=double_centre(smoothed),
                       biases=uniform_optimal_biases(smoothed))


def glove_centred_target(counts, smoothing: float = SMOOTHING) -> np.ndarray:
    """C = J_c log(smoothing + X) J_c alone (glove_target builds every target)."""
    return double_centre(smoothed_log_counts(counts, smoothing))


def glove_closed_form(counts, dim: int, extra_eigenvalues: int = 10) -> ClosedForm:
    """The uniform-weight GloVe closed form: theory.predictions.ClosedForm of C = J_c log(1 + X) J_c.

    Its `embeddings` (V_d max(Lambda_d, 0)^{1/2}, centred), `gram` (the minimiser's J_c W W^T J_c),
    `eigenvalues`, `random_step_times(W0)` (THEORY §3's QR predictor) and `stiffest_rate` are the predictions
    for uniform-weight GloVe with tied embeddings and its biases at their optimum `glove_target(X).biases`.
    """
    return closed_form(glove_centred_target(counts), dim, extra_eigenvalues)


def glove_linearised_target(counts, x_max: float = X_MAX, alpha: float = ALPHA) -> np.ndarray:
    """K = F o (L - b0 1^T - 1 b0^T): GloVe's own early-time growth matrix, dW/dt = 1/2 K W + O(W^3).

    F = glove_weights, L = log_counts, b0 = weighted_optimal_biases(F, L) (the biases' optimum at W = 0). Its
    eigenvalues are GloVe's growth rates at small init in the time unit of this module: what sets GD's stable
    step there (ClosedForm(K).stiffest_rate) and the linear-regime step-time estimate; not a closed form of the
    weighted minimiser, which has none.
    """
    f = glove_weights(counts, x_max, alpha)
    own = log_counts(counts)
    b0 = weighted_optimal_biases(f, own)
    k = f * (own - b0[:, None] - b0[None, :])
    return 0.5 * (k + k.T)


def glove_loss(embeddings, biases, counts, weights: str = "glove") -> float:
    """J(W, b) with tied W and b: sum_ij F_ij (w_i.w_j + b_i + b_j - target_ij)^2 (F = f(X) and log X, or 1 and
    log(1 + X) for weights="uniform"). Dense V x V: a reference for tests, not for large V."""
    if weights not in WEIGHTS:
        raise InputError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
    x = check_counts(counts)
    w = np.asarray(embeddings, dtype=np.float64)
    b = np.asarray(biases, dtype=np.float64)
    if weights == "glove":
        f, target = glove_weights(x), log_counts(x)
    else:
        f, target = 1.0, smoothed_log_counts(x)
    residual = w @ w.T + b[:, None] + b[None, :] - target
    return float(np.sum(f * residual ** 2))


def centred_gram(embeddings) -> np.ndarray:
    """J_c W W^T J_c: the part of the Gram the biases cannot absorb (what the closed form predicts)."""
    w = np.asarray(embeddings, dtype=np.float64)
    z = w - w.mean(axis=0, keepdims=True)
    return z @ z.T
