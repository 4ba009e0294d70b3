"""Synthetic problems with known structure: targets with prescribed spectra and valid joint distributions.

Every generator is deterministic in its `seed` and documents what it guarantees.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from theory.validation import InputError


def random_orthogonal(size: int, seed: int) -> np.ndarray:
    """A Haar-random orthogonal matrix, deterministic in `seed`."""
    return scipy.stats.ortho_group.rvs(size, random_state=np.random.default_rng(seed))


def matrix_with_spectrum(eigenvalues, seed: int) -> np.ndarray:
    """Symmetric V x V matrix with exactly `eigenvalues` (V of them) and Haar-random eigenvectors.

    Guarantees: symmetric to rounding, eigenvalues equal to the given ones to ~1e-14 relative.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    basis = random_orthogonal(len(eigenvalues), seed)
    m = (basis * eigenvalues) @ basis.T
    return 0.5 * (m + m.T)


def stepped_spectrum(size: int, top, negatives=(), bulk: float = 0.0, seed: int = 0) -> np.ndarray:
    """Eigenvalues: the given `top` values, the given `negatives`, and V - len(top) - len(negatives)
    bulk values uniform in [-bulk, bulk] (sorted descending overall).

    Guarantees the top values are the largest when bulk < min(top) (checked).
    """
    top = np.asarray(top, dtype=np.float64)
    negatives = np.asarray(negatives, dtype=np.float64)
    rest = size - len(top) - len(negatives)
    if rest < 0:
        raise InputError(f"size {size} is smaller than the {len(top) + len(negatives)} prescribed eigenvalues")
    if len(top) and bulk >= top.min():
        raise InputError("bulk eigenvalues must lie below the smallest prescribed top eigenvalue")
    bulk_values = np.random.default_rng(seed).uniform(-bulk, bulk, rest) if bulk > 0 else np.zeros(rest)
    return np.sort(np.concatenate([top, negatives, bulk_values]))[::-1]


def planted_joint(unigram, strengths, seed: int) -> np.ndarray:
    """A valid joint P_ij = p_i p_j (1 + sum_r a_r u_ri u_rj) with marginals exactly `unigram`.

    The u_r are p-orthonormal (sum_i p_i u_ri u_si = delta_rs) and p-centred (sum_i p_i u_ri = 0),
    so the planted deviation leaves the marginals unchanged; `strengths` a_r may be negative.
    The strengths are scaled down if needed so that every entry stays >= 0.
    Guarantees: symmetric, non-negative, sums to 1, row sums = unigram (to rounding).
    The resulting PMI is close to sum_r a_r u_r u_r^T, so M* inherits a planted top spectrum.
    """
    p = np.asarray(unigram, dtype=np.float64)
    if p.ndim != 1 or np.any(p <= 0):
        raise InputError("unigram must be a 1-D vector of positive probabilities")
    p = p / p.sum()
    strengths = np.asarray(strengths, dtype=np.float64)
    size, rank = len(p), len(strengths)
    if rank >= size:
        raise InputError(f"cannot plant {rank} directions in a vocabulary of {size}")
    rng = np.random.default_rng(seed)
    # Orthonormalise random vectors in the p-weighted inner product, against the constant vector.
    sqrt_p = np.sqrt(p)
    basis = np.column_stack([sqrt_p, rng.standard_normal((size, rank))])
    q, _ = np.linalg.qr(basis)
    u = q[:, 1:] / sqrt_p[:, None]
    deviation = (u * strengths) @ u.T
    lowest = deviation.min()
    if lowest < -0.95:
        deviation *= 0.95 / -lowest
    joint = np.outer(p, p) * (1.0 + deviation)
    joint = 0.5 * (joint + joint.T)
    return joint / joint.sum()


def zipf_unigram(size: int, exponent: float = 1.0) -> np.ndarray:
    """Zipfian word frequencies p_i proportional to 1 / i^exponent (sum to 1)."""
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def topic_mixture_joint(size: int, topics: int, concentration: float, seed: int) -> np.ndarray:
    """P_ij = sum_t pi_t q_t(i) q_t(j): words co-occur through shared latent topics.

    Each topic's word distribution q_t mixes a Zipfian background with a topic-specific boost
    of strength `concentration`. Guarantees: symmetric, non-negative, sums to 1, every marginal > 0.
    M* then has about `topics` - 1 large positive eigenvalues.
    """
    rng = np.random.default_rng(seed)
    background = zipf_unigram(size, 0.8)
    weights = rng.dirichlet(np.full(topics, 5.0))
    assignment = rng.integers(0, topics, size)
    topic_words = np.empty((topics, size))
    for topic in range(topics):
        boost = np.where(assignment == topic, concentration, 0.0)
        q = background * (1.0 + boost)
        topic_words[topic] = q / q.sum()
    joint = (topic_words.T * weights) @ topic_words
    joint = 0.5 * (joint + joint.T)
    return joint / joint.sum()
