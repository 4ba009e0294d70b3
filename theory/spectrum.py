"""Eigendecomposition of a symmetric target, ordered by value (not magnitude), top-k when k << V, cached."""

from __future__ import annotations

import hashlib
import inspect
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

# Lanczos (eigsh) on the dense matrix for the top k only pays when V is large and k a small fraction of it. Up
# to a larger fraction, theory.topk's two-stage "band" solver (BLAS-3 reduction to a band, Lanczos on the band)
# beats LAPACK's subset eigh (driver evr), which it takes otherwise: for the real-text study's k = d + 1 = 201 it
# takes M*'s spectrum from about 7 s to 5-6 s at V = 5,000 and from 49-80 s to 22-30 s at V = 10,000, while evr
# still wins at V = 3,000 (k/V = 6.7 %) and at V = 5,000, k = 500. Where float32 accuracy is enough (the study's
# baselines and corpus-size subsets), theory.topk's "float32" (a float32 solve + one float64 Rayleigh-Ritz, its
# own residual bound) is cheaper still. The measurements behind these choices: tests/benchmarks/
# test_bench_spectra.py (the study's four matrices, every candidate).
LANCZOS_MIN_SIZE = 4000
LANCZOS_MAX_FRACTION = 0.01
BAND_MIN_SIZE = 4000
BAND_MAX_FRACTION = 0.05
# One extreme eigenvalue (k = 1, loose tolerance) is cheap for Lanczos from a smaller size on.
SMALLEST_LANCZOS_MIN_SIZE = 1500
_CACHE_SIZE = 8
_cache: OrderedDict = OrderedDict()


@dataclass(frozen=True)
class Spectrum:
    """The top eigenpairs of a symmetric V x V matrix, eigenvalues descending by value."""

    eigenvalues: np.ndarray   # (k,) descending
    eigenvectors: np.ndarray  # (V, k), column j pairs with eigenvalues[j]
    frobenius_sq: float       # ||M||_F^2 = sum of all V eigenvalues squared
    size: int                 # V

    @property
    def complete(self) -> bool:
        """Whether every eigenpair of the matrix is present."""
        return len(self.eigenvalues) == self.size


# Recent SciPy's ARPACK draws a fresh random vector when its Krylov space is exhausted, from `rng`; without
# one it is unseeded, and the same call can give different vectors (RT-TOPK caught it). Older SciPy has no `rng`.
_EIGSH_TAKES_RNG = "rng" in inspect.signature(scipy.sparse.linalg.eigsh).parameters


def seeded_eigsh(matrix, seed: int = 0, **options):
    """scipy.sparse.linalg.eigsh(matrix, **options), deterministic: any restart vector it draws comes from `seed`."""
    if _EIGSH_TAKES_RNG:
        options["rng"] = np.random.default_rng(seed)
    return scipy.sparse.linalg.eigsh(matrix, **options)


def fix_signs(vectors: np.ndarray) -> np.ndarray:
    """Each column's largest-magnitude entry positive."""
    # Eigenvectors are defined up to sign; make the largest-magnitude entry positive so that
    # the same matrix always gives the same vectors whichever solver ran.
    idx = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[idx, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


def lanczos_top(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenpairs by value (k < V) from ARPACK's Lanczos (eigsh), descending, signs fixed."""
    size = matrix.shape[0]
    # A fixed start vector keeps ARPACK deterministic; tol = 0 asks for machine precision.
    start = np.ones(size) / np.sqrt(size)
    values, vectors = seeded_eigsh(matrix, k=k, which="LA", v0=start, tol=0)
    return _descending(values, vectors)


def dense_top(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenpairs by value from LAPACK's eigh (only the selected ones when k < V), descending."""
    size = matrix.shape[0]
    if k == size:
        values, vectors = scipy.linalg.eigh(matrix)
    else:
        values, vectors = scipy.linalg.eigh(matrix, subset_by_index=[size - k, size - 1])
    return _descending(values, vectors)


def _descending(values: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values)[::-1]
    return values[order], fix_signs(vectors[:, order])


def _solve(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    size = matrix.shape[0]
    if size >= LANCZOS_MIN_SIZE and k <= LANCZOS_MAX_FRACTION * size:
        return lanczos_top(matrix, k)
    if size >= BAND_MIN_SIZE and k <= BAND_MAX_FRACTION * size:
        from theory.topk import top_eigenpairs as checked_top  # theory.topk builds on this module

        pairs = checked_top(matrix, k, method="band")
        return pairs.eigenvalues, pairs.eigenvectors
    return dense_top(matrix, k)


def top_eigenpairs(matrix: np.ndarray, k: int | None = None) -> Spectrum:
    """The k largest eigenpairs (by value) of symmetric `matrix`; all of them when k is None.

    Results are cached by the matrix's bytes, so predictions, simulators and reports that ask
    for the same target share one eigensolve.
    """
    matrix = np.ascontiguousarray(matrix, dtype=np.float64)
    size = matrix.shape[0]
    k = size if k is None else max(1, min(int(k), size))
    key = (hashlib.blake2b(matrix.data, digest_size=16).hexdigest(), matrix.shape)
    cached = _cache.get(key)
    if cached is not None and len(cached.eigenvalues) >= k:
        _cache.move_to_end(key)
        if len(cached.eigenvalues) == k:
            return cached
        return Spectrum(cached.eigenvalues[:k], cached.eigenvectors[:, :k], cached.frobenius_sq, size)
    values, vectors = _solve(matrix, k)
    spectrum = Spectrum(values, vectors, float(np.vdot(matrix.ravel(), matrix.ravel())), size)
    _cache[key] = spectrum
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return spectrum


def smallest_eigenvalue(matrix: np.ndarray) -> float:
    """The smallest (most negative) eigenvalue of symmetric `matrix`; Lanczos for large V."""
    matrix = np.asarray(matrix, dtype=np.float64)
    size = matrix.shape[0]
    if size < SMALLEST_LANCZOS_MIN_SIZE:
        return float(scipy.linalg.eigh(matrix, eigvals_only=True, subset_by_index=[0, 0])[0])
    start = np.ones(size) / np.sqrt(size)
    return float(seeded_eigsh(matrix, k=1, which="SA", v0=start, tol=1e-6, return_eigenvectors=False)[0])
