"""Reduction of a dense symmetric matrix to band form by blocked Householder reflections, and back.

The first stage of a two-stage symmetric eigensolver (LAPACK's dsytrd_sy2sb; Bischof, Lang and Sun, "A framework
for symmetric band reduction", ACM TOMS 26, 2000): for each panel of `width` columns, a QR factorisation of the
panel below the band, H = I - Y T Y^T, and the two-sided update A <- H^T A H of the trailing matrix as
A - Y W^T - W Y^T (W = X - Y Z / 2, X = A Y T, Z = T^T Y^T X). All of its flops are BLAS-3 (symm, syr2k), where
LAPACK's one-stage reduction to tridiagonal form (dsytrd, under every `eigh`) spends half of them in
memory-bound matrix-vector products. The result is orthogonally similar to the input, so its eigenvalues are the
input's to O(eps ||M||), and `back_transform` maps its eigenvectors to the input's. LAPACK's own two-stage driver
(dsyevr_2stage) computes no eigenvectors, so the stage is written here, on SciPy's BLAS and LAPACK: the calls go
through scipy.linalg.cython_blas / cython_lapack by address, which, unlike scipy.linalg.blas, operate in place on
a sub-block of a larger array (its leading dimension) instead of copying it.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["BandReduction", "band_reduce", "band_matvec"]

_POINTER = ctypes.c_void_p
# Fortran argument counts of the (float64) routines used, every argument passed by reference.
_ARGUMENTS = {"dgeqrt": 9, "dsymm": 12, "dsyr2k": 12, "dgemm": 13, "dtrmm": 11}


@cache
def _routine(library: str, name: str):
    """SciPy's BLAS/LAPACK routine `name` (e.g. "dgemm") as a ctypes function (its address read from the Cython
    capsule)."""
    import importlib

    capsule = importlib.import_module(f"scipy.linalg.cython_{library}").__pyx_capi__[name]
    get_name, get_pointer = ctypes.pythonapi.PyCapsule_GetName, ctypes.pythonapi.PyCapsule_GetPointer
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    address = get_pointer(capsule, get_name(capsule))
    return ctypes.CFUNCTYPE(None, *[_POINTER] * _ARGUMENTS[name])(address)


def _call(library: str, name: str, *arguments) -> None:
    """Call a Fortran routine: str -> one character, int -> integer, float -> double, array -> its data."""
    def by_reference(value):
        if isinstance(value, str):
            return ctypes.c_char_p(value.encode())
        if isinstance(value, (int, np.integer)):
            return ctypes.byref(ctypes.c_int(int(value)))
        if isinstance(value, float):
            return ctypes.byref(ctypes.c_double(value))
        return _POINTER(value.ctypes.data)

    _routine(library, name)(*[by_reference(value) for value in arguments])


@dataclass
class BandReduction:
    """A = Q B Q^T with B symmetric of half-bandwidth `width`: `band` holds B's lower band (LAPACK's 'L' band
    storage, band[r, c] = B[c + r, c]); `reflectors` is the reduced matrix, whose entries below the band hold Q's
    Householder vectors, one panel per entry of `factors` (each panel's T, H = I - Y T Y^T)."""

    band: np.ndarray
    width: int
    reflectors: np.ndarray
    factors: list

    def back_transform(self, vectors: np.ndarray) -> np.ndarray:
        """Q u for each column u of `vectors` (eigenvectors of B -> eigenvectors of A), as a new array."""
        out = np.array(vectors, dtype=np.float64, order="F")
        for start, factor in reversed(self.factors):
            y = self._householder_vectors(start, factor.shape[0])
            rows = out[start + self.width:]
            rows -= y @ (factor @ (y.T @ rows))
        return out

    def _householder_vectors(self, start: int, count: int) -> np.ndarray:
        """Y of the panel at column `start`: unit lower trapezoidal, read from below the band."""
        y = np.array(self.reflectors[start + self.width:, start:start + count], order="F")
        _unit_lower(y, count)
        return y


def _unit_lower(y: np.ndarray, count: int) -> None:
    """Set y's top count x count block to its strictly lower part plus the identity (Householder vector form)."""
    top = y[:count]
    top[np.triu_indices(count, 1)] = 0.0
    top[np.diag_indices(count)] = 1.0


def band_reduce(matrix: np.ndarray, width: int) -> BandReduction:
    """Q^T M Q = B with half-bandwidth `width` (1 <= width < V), from M's lower triangle, in float64; M is not
    modified."""
    size = matrix.shape[0]
    if matrix.ndim != 2 or matrix.shape[1] != size or not 1 <= width < size:
        raise ValueError(f"need a square matrix and 1 <= width < V, got shape {matrix.shape} and width {width}")
    # M is symmetric, so its transpose (Fortran order, no copy) is M: copy that, one pass.
    a = np.array(np.asarray(matrix).T, dtype=np.float64, order="F")
    y_buffer, x_buffer, w_buffer = (np.empty((size, width), order="F") for _ in range(3))
    work = np.empty(width * width)
    info = np.zeros(1, dtype=np.intc)
    factors = []
    for start in range(0, size, width):
        rows = size - start - width  # the panel's rows below the band
        if rows < 2:
            break
        count = min(rows, width)  # reflectors; a last panel shorter than it is wide is still factorised whole
        # Views whose data pointers start the sub-blocks; every call passes a's leading dimension, V.
        panel, trailing = a[start + width:, start:], a[start + width:, start + width:]
        factor = np.zeros((count, count), order="F")
        _call("lapack", "dgeqrt", rows, width, count, panel, size, factor, count, work, info)
        if info[0] != 0:
            raise RuntimeError(f"LAPACK dgeqrt failed with info = {info[0]}")
        factors.append((start, factor))
        y, x, w = y_buffer[:rows, :count], x_buffer[:rows, :count], w_buffer[:rows, :count]
        y[...] = panel[:, :count]
        _unit_lower(y, count)
        w[...] = y
        _call("blas", "dtrmm", "R", "U", "N", "N", rows, count, 1.0, factor, count, w, size)   # W = Y T
        _call("blas", "dsymm", "L", "L", rows, count, 1.0, trailing, size, w, size, 0.0, x, size)  # X = A Y T
        z = np.empty((count, count), order="F")
        _call("blas", "dgemm", "T", "N", count, count, rows, 1.0, y, size, x, size, 0.0, z, count)  # Y^T X
        _call("blas", "dtrmm", "L", "U", "T", "N", count, count, 1.0, factor, count, z, count)  # Z = T^T Y^T X
        w[...] = x
        _call("blas", "dgemm", "N", "N", rows, count, count, -0.5, y, size, z, count, 1.0, w, size)  # X - YZ/2
        _call("blas", "dsyr2k", "L", "N", rows, count, -1.0, y, size, w, size, 1.0, trailing, size)
    return BandReduction(_lower_band(a, width), width, a, factors)


def _lower_band(a: np.ndarray, width: int) -> np.ndarray:
    """LAPACK 'L' band storage of a's lower band: out[r, c] = a[c + r, c], r = 0..width."""
    size = a.shape[0]
    flat = a.ravel(order="F")
    band = np.zeros((width + 1, size), order="F")
    for offset in range(width + 1):
        band[offset, :size - offset] = flat[offset::size + 1][:size - offset]
    return band


def band_matvec(band: np.ndarray):
    """x -> B x for B in lower band storage (BLAS dsbmv, O(V x width) per product)."""
    from scipy.linalg.blas import dsbmv

    width = band.shape[0] - 1
    return lambda x: dsbmv(width, 1.0, band, np.ravel(x), lower=1)
