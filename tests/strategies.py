"""Hypothesis strategies that *construct* problems satisfying a claim's hypotheses (never filter).

Each strategy draws a small, readable description (eigenvalues, seed, ...) whose repr is what
Hypothesis prints as the minimal counterexample; the matrices are built from it deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hypothesis import strategies as st

from sims.sources import matrix_with_spectrum, planted_joint, zipf_unigram

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@dataclass(frozen=True)
class SpectralProblem:
    """A symmetric target with prescribed eigenvalues (descending) and random eigenvectors."""

    eigenvalues: tuple
    seed: int
    dim: int

    @cached_property
    def matrix(self) -> np.ndarray:
        return matrix_with_spectrum(np.asarray(self.eigenvalues), self.seed)

    @property
    def size(self) -> int:
        return len(self.eigenvalues)


def _round(x: float) -> float:
    # Short decimals keep counterexamples readable.
    return float(np.round(x, 3))


@st.composite
def spectral_problems(draw, min_size: int = 6, max_size: int = 16, min_positive: int = 1,
                      max_positive: int = 4, max_negative: int = 2, min_relative_gap: float = 0.3,
                      bulk: float = 0.05, dim=None, degenerate: bool = False):
    """Targets whose top eigenvalues are separated by relative gaps >= `min_relative_gap`.

    The positive modes are built top-down, lam_{k+1} = lam_k / (1 + gap_k) with gap_k drawn in
    [min_relative_gap, 1.5]; negatives are drawn in [-4, -0.2] (they may exceed lam_d in
    magnitude); the remaining eigenvalues are a bulk in [-bulk, bulk], below every positive mode
    by construction. `dim` defaults to the number of positive modes (so every mode is learned).
    With `degenerate`, the second positive eigenvalue repeats the first.
    """
    size = draw(st.integers(min_size, max_size))
    positive = draw(st.integers(min_positive, min(max_positive, size - 2)))
    negative = draw(st.integers(0, min(max_negative, size - positive - 1)))
    top = [_round(draw(st.floats(1.0, 4.0)))]
    for _ in range(positive - 1):
        gap = draw(st.floats(min_relative_gap, 1.5))
        top.append(_round(top[-1] / (1.0 + gap)))
    if degenerate and positive >= 2:
        top[1] = top[0]
    floor = min(top) / (1.0 + min_relative_gap)
    bulk = min(bulk, 0.5 * floor)
    negatives = [_round(draw(st.floats(-4.0, -0.2))) for _ in range(negative)]
    rest = [_round(draw(st.floats(-bulk, bulk))) for _ in range(size - positive - negative)]
    eigenvalues = tuple(sorted(top + negatives + rest, reverse=True))
    chosen_dim = positive if dim is None else draw(dim) if isinstance(dim, st.SearchStrategy) else dim
    return SpectralProblem(eigenvalues=eigenvalues, seed=draw(seeds), dim=min(chosen_dim, size - 1))


@dataclass(frozen=True)
class JointProblem:
    """A valid joint distribution with planted structure: Zipfian unigram plus planted deviations."""

    size: int
    exponent: float
    strengths: tuple
    seed: int

    @cached_property
    def joint(self) -> np.ndarray:
        return planted_joint(zipf_unigram(self.size, self.exponent), self.strengths, self.seed)


@st.composite
def joint_distributions(draw, min_size: int = 5, max_size: int = 20, max_planted: int = 3):
    """Symmetric, non-negative, normalised P with positive marginals (by construction)."""
    size = draw(st.integers(min_size, max_size))
    planted = draw(st.integers(1, min(max_planted, size - 2)))
    strengths = tuple(_round(draw(st.floats(-2.0, 3.0))) for _ in range(planted))
    return JointProblem(size=size, exponent=_round(draw(st.floats(0.0, 1.5))), strengths=strengths,
                        seed=draw(seeds))


def symmetric_nonnegative(size: int, seed: int, zeros: bool = True) -> np.ndarray:
    """A random symmetric matrix with entries in [0, 1] (some exactly 0 when `zeros`)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 1.0, (size, size))
    if zeros:
        a[a < 0.2] = 0.0
    return np.triu(a) + np.triu(a, 1).T
