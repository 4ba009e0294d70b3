"""Eigendecomposition of a symmetric target, ordered by value (not magnitude), top-k when k << V, cached."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

# Above this size a Lanczos top-k solve (eigsh) beats LAPACK's full tridiagonal reduction,
# provided few eigenpairs are wanted.
LANCZOS_MIN_SIZE = 1500
LANCZOS_MAX_FRACTION = 0.2
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


def _fix_signs(vectors: np.ndarray) -> np.ndarray:
    # Eigenvectors are defined up to sign; make the largest-magnitude entry positive so that
    # the same matrix always gives the same vectors whichever solver ran.
    idx = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[idx, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


def _solve(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    size = matrix.shape[0]
    if size >= LANCZOS_MIN_SIZE and k <= LANCZOS_MAX_FRACTION * size:
        # A fixed start vector keeps ARPACK deterministic.
        start = np.ones(size) / np.sqrt(size)
        values, vectors = scipy.sparse.linalg.eigsh(matrix, k=k, which="LA", v0=start, tol=0)
    elif k == size:
        values, vectors = scipy.linalg.eigh(matrix)
    else:
        values, vectors = scipy.linalg.eigh(matrix, subset_by_index=[size - k, size - 1])
    order = np.argsort(values)[::-1]
    return values[order], _fix_signs(vectors[:, order])


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
    if size < LANCZOS_MIN_SIZE:
        return float(scipy.linalg.eigh(matrix, eigvals_only=True, subset_by_index=[0, 0])[0])
    start = np.ones(size) / np.sqrt(size)
    return float(scipy.sparse.linalg.eigsh(matrix, k=1, which="SA", v0=start, tol=1e-6,
                                           return_eigenvectors=False)[0])
