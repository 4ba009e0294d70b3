"""The target matrix M* (THEORY §1) and its relatives G, PMI and PPMI, from co-occurrence statistics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.validation import InputError, as_real_matrix, check_positive, check_symmetric


@dataclass(frozen=True)
class Cooccurrence:
    """Validated corpus statistics: symmetric joint P_ij (sums to 1; P_ij == P_ji exactly, as `cooccurrence` makes
    it) and unigram P_i."""

    joint: np.ndarray
    unigram: np.ndarray

    @property
    def independent(self) -> np.ndarray:
        """P_i P_j, the negative-sampling distribution."""
        return np.outer(self.unigram, self.unigram)


def cooccurrence(counts, unigram=None, name: str = "co-occurrence matrix") -> Cooccurrence:
    """Normalise symmetric non-negative counts (or a joint distribution) into P_ij and P_i.

    `unigram` defaults to the row sums of P (its marginals); if given it is normalised to sum to 1.
    """
    c = check_symmetric(as_real_matrix(counts, name), name)
    owned = not (isinstance(counts, np.ndarray) and np.may_share_memory(c, counts))
    if np.min(c) < 0:
        raise InputError(f"{name} has {int(np.count_nonzero(c < 0))} negative entries; counts must be >= 0")
    rows = c.sum(axis=1)
    empty = np.flatnonzero(rows <= 0)
    if empty.size:
        raise InputError(f"{name} has {empty.size} all-zero rows (first: row {int(empty[0])}); every word needs a context")
    # Divided in place when as_real_matrix made a copy (integer counts): one V x V array fewer.
    joint = np.divide(c, c.sum(), out=c if owned else None)
    joint = np.add(joint, joint.T)
    joint *= 0.5
    if unigram is None:
        p = joint.sum(axis=1)
    else:
        p = np.asarray(unigram, dtype=np.float64)
        if p.shape != (c.shape[0],):
            raise InputError(f"unigram must have shape ({c.shape[0]},), got {p.shape}")
        if not np.all(np.isfinite(p)) or np.any(p <= 0):
            raise InputError("unigram probabilities must be finite and > 0")
        p = p / p.sum()
    return Cooccurrence(joint=joint, unigram=p)


def psi_weights(stats: Cooccurrence, psi_pos=None, psi_neg=None, negatives: float = 1.0):
    """Validated (Psi+, Psi-) as V x V arrays: Psi+ defaults to 1 and Psi- to k Psi+ (THEORY §1's convention)."""
    v = stats.joint.shape[0]
    psi_pos = np.ones((v, v)) if psi_pos is None else np.asarray(psi_pos, dtype=np.float64)
    if psi_neg is None:
        psi_neg = negatives * psi_pos
    else:
        psi_neg = np.asarray(psi_neg, dtype=np.float64)
    for name, psi in (("psi_pos", psi_pos), ("psi_neg", psi_neg)):
        if psi.shape != (v, v):
            raise InputError(f"{name} must have shape ({v}, {v}), got {psi.shape}")
        if not np.all(np.isfinite(psi)) or np.any(psi < 0):
            raise InputError(f"{name} must be finite and >= 0")
        check_symmetric(psi, name)
    return psi_pos, psi_neg


def weight_matrix(stats: Cooccurrence, psi_pos=None, psi_neg=None, negatives: float = 1.0) -> np.ndarray:
    """G_ij = Psi+_ij P_ij + Psi-_ij P_i P_j, the per-entry weight of the quadratic loss."""
    psi_pos, psi_neg = psi_weights(stats, psi_pos, psi_neg, negatives)
    return psi_pos * stats.joint + psi_neg * stats.independent


def target_entries(joint, independent, psi_pos=1.0, psi_neg=None, negatives: float = 1.0):
    """M*_ij = (Psi+ P_ij - Psi- P_i P_j) / (G_ij / 2) entrywise, on matching arrays of P_ij and P_i P_j.

    Any shape (a few sampled rows, or the full V x V), so callers need no V x V temporary; Psi- defaults
    to k Psi+ (k = `negatives`). Raises InputError where G = Psi+ P + Psi- P_i P_j vanishes (M* undefined).
    """
    psi_neg = negatives * psi_pos if psi_neg is None else psi_neg
    # In place after the first two products: at V = 10,000 each V x V temporary is 0.8 GB of fresh pages.
    positive = psi_pos * np.asarray(joint, dtype=np.float64)
    out = psi_neg * np.asarray(independent, dtype=np.float64)
    g = positive + out
    if np.any(g <= 0):
        raise InputError(f"G = Psi+ P + Psi- P_i P_j vanishes at {int(np.count_nonzero(g <= 0))} entries; "
                         "M* is undefined there")
    np.subtract(positive, out, out=out)
    del positive
    g *= 0.5
    return np.divide(out, g, out=out)


def target_matrix(stats: Cooccurrence, psi_pos=None, psi_neg=None, negatives: float = 1.0) -> np.ndarray:
    """M*_ij = (Psi+ P_ij - Psi- P_i P_j) / (G_ij / 2), symmetrised (`target_entries` on the V x V statistics).

    Defaults: Psi+ = Psi- = 1 (any Psi+ = Psi- gives the same M*); `negatives` = k sets Psi- = k Psi+.
    """
    if psi_pos is None and psi_neg is None:
        # The default Psi+ = 1, Psi- = k needs no V x V weight arrays; G > 0 because cooccurrence()
        # guarantees P_i > 0.
        # P_ij and P_i P_j are exactly symmetric (Cooccurrence), and so is every entrywise function of them:
        # no symmetrising pass is needed.
        negatives = check_positive(negatives, "negatives")
        return by_rows(stats, lambda joint, independent: target_entries(joint, independent, negatives=negatives))
    psi_pos, psi_neg = psi_weights(stats, psi_pos, psi_neg, negatives)
    m = target_entries(stats.joint, stats.independent, psi_pos, psi_neg)
    return 0.5 * (m + m.T)


def mean_weight(stats: Cooccurrence, psi_pos=None, psi_neg=None, negatives: float = 1.0) -> float:
    """g = mean_ij G_ij: the flow-time scale of a (S)GD step when G is not constant (exact when it is)."""
    return float(weight_matrix(stats, psi_pos, psi_neg, negatives).mean())


def setting31_psi(joint, independent, negatives: float = 1.0, g: float = 1.0):
    """Psi_ij = g / (P_ij + k P_i P_j) entrywise, on matching arrays (numpy or torch) of P_ij and P_i P_j.

    With Psi+ = Psi, Psi- = k Psi it makes G = Psi+ P + Psi- P_i P_j = g for every pair (Setting 3.1);
    per entry, so a sampler can weight its sampled pairs without forming a V x V Psi.
    """
    return g / (joint + negatives * independent)


def setting31_weights(stats: Cooccurrence, g: float = 1.0, negatives: float = 1.0) -> np.ndarray:
    """The V x V Setting-3.1 reweighting Psi = g / (P_ij + k P_i P_j) (`setting31_psi`): with Psi+ = Psi and
    Psi- = k Psi, G is the constant g (k = 1: Psi+ = Psi- = g / (P_ij + P_i P_j))."""
    return setting31_psi(stats.joint, stats.independent, negatives, g)


# word2vec's own tricks as Psi (THEORY §7, paper App. A.3, the authors' code). The subsampling threshold t:
# word i is kept with probability min(1, sqrt(t/P_i) + t/P_i) (word2vec.c's formula, the paper's t = 1e-5).
WORD2VEC_SUBSAMPLING = 1e-5
# word2vec draws negatives from P^(3/4); Psi- multiplies P_i P_j, so the reweighting is n_j = P_j^(3/4) / P_j.
WORD2VEC_NEGATIVE_EXPONENT = -0.25
# The authors symmetrise the negative weight: half of (centre i subsampled, negative j from P^(3/4)) and half
# of the reverse, so Psi- stays symmetric as THEORY §1 requires.
WORD2VEC_SYMMETRISATION = 0.5


def word2vec_psi(stats: Cooccurrence, t: float = WORD2VEC_SUBSAMPLING, negatives: float = 1.0):
    """word2vec's reweighting (THEORY §7): Psi+_ij = a_i a_j, Psi-_ij = k 1/2 (a_i n_j + a_j n_i), as V x V arrays.

    a_i = min(1, sqrt(t/P_i) + t/P_i) (subsampling keep-probability) and n_j = P_j^(-1/4) (negatives from
    P^(3/4)), each normalised to mean 1 over the vocabulary; k = `negatives`. Returns (psi_pos, psi_neg) in
    the form psi_weights, weight_matrix and target_matrix take. G = Psi+ P + Psi- P_iP_j is then not constant
    (Proposition 2's weighted factorisation: no closed form).
    """
    t = check_positive(t, "subsampling threshold t")
    negatives = check_positive(negatives, "negatives")
    p = stats.unigram
    keep = np.minimum(1.0, np.sqrt(t / p) + t / p)
    keep = keep / keep.mean()
    noise = p ** WORD2VEC_NEGATIVE_EXPONENT
    noise = noise / noise.mean()
    psi_pos = np.outer(keep, keep)
    cross = np.outer(keep, noise)
    psi_neg = negatives * WORD2VEC_SYMMETRISATION * (cross + cross.T)
    return psi_pos, psi_neg


# Rows per block of the V x V builders below: a block's temporaries stay a few MB at V = 10^4.
ROW_BLOCK = 256


def by_rows(stats: Cooccurrence, entries) -> np.ndarray:
    """The V x V matrix entries(P_ij, P_i P_j), built a block of rows at a time (no V x V temporaries)."""
    size = stats.joint.shape[0]
    p = stats.unigram
    out = np.empty((size, size))
    for start in range(0, size, ROW_BLOCK):
        rows = slice(start, start + ROW_BLOCK)
        out[rows] = entries(stats.joint[rows], np.outer(p[rows], p))
    return out


def _log_ratio(joint, independent):
    with np.errstate(divide="ignore"):
        return np.log(joint) - np.log(independent)


def pmi(stats: Cooccurrence) -> np.ndarray:
    """PMI_ij = log(P_ij / (P_i P_j)); -inf where the pair never co-occurs."""
    return by_rows(stats, _log_ratio)


def ppmi(stats: Cooccurrence) -> np.ndarray:
    """Positive PMI, max(PMI, 0) (zero where the pair never co-occurs)."""
    matrix = pmi(stats)
    return np.maximum(matrix, 0.0, out=matrix)


# The paper's PMI baseline (arXiv 2502.09863, its PMI row): ln(P_ij / (P_i P_j) + PAPER_PMI_EPSILON), which is
# finite everywhere but ln(1e-25) = -57.6 where P_ij = 0, so unseen pairs dominate its spectrum.
PAPER_PMI_EPSILON = 1e-25


def pmi_zero_filled(stats: Cooccurrence) -> np.ndarray:
    """PMI with 0 (independence, no evidence of association) where P_ij = 0: the suite's PMI baseline."""
    matrix = pmi(stats)
    matrix[~np.isfinite(matrix)] = 0.0
    return matrix


def pmi_paper(stats: Cooccurrence, epsilon: float = PAPER_PMI_EPSILON) -> np.ndarray:
    """The paper's PMI baseline, ln(P_ij / (P_i P_j) + epsilon): hugely negative (ln epsilon) where P_ij = 0."""
    return by_rows(stats, lambda joint, independent: np.log(joint / independent + epsilon))
