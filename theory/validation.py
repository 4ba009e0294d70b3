"""Input checks shared by every entry point: each failure raises InputError with a one-line reason."""

from __future__ import annotations

import numpy as np


class InputError(ValueError):
    """Bad user input; the message is one line that names the problem."""


def as_real_matrix(array, name: str) -> np.ndarray:
    """Return `array` as a finite, square, 2-D float64 matrix or raise InputError."""
    a = np.asarray(array)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.floating)
                                 or np.issubdtype(a.dtype, np.integer)
                                 or np.issubdtype(a.dtype, np.bool_)):
        raise InputError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if a.ndim != 2:
        raise InputError(f"{name} must be a 2-D matrix, got {a.ndim}-D array of shape {a.shape}")
    if a.shape[0] != a.shape[1]:
        raise InputError(f"{name} must be square, got shape {a.shape}")
    if a.shape[0] < 2:
        raise InputError(f"{name} must be at least 2x2, got shape {a.shape}")
    a = a.astype(np.float64, copy=False)
    if not np.all(np.isfinite(a)):
        bad = int(np.count_nonzero(~np.isfinite(a)))
        raise InputError(f"{name} contains {bad} non-finite entries (NaN or inf)")
    return a


def check_symmetric(a: np.ndarray, name: str, rtol: float = 1e-10) -> np.ndarray:
    """Raise InputError unless `a` is symmetric to `rtol` relative to its largest entry."""
    scale = float(np.max(np.abs(a))) or 1.0
    asym = float(np.max(np.abs(a - a.T)))
    if asym > rtol * scale:
        raise InputError(f"{name} is not symmetric: max |A - A^T| = {asym:.3g} (relative {asym / scale:.3g})")
    return a


def check_dim(dim, size: int) -> int:
    """Embedding dimension d must satisfy 1 <= d < V."""
    if isinstance(dim, bool) or int(dim) != dim:
        raise InputError(f"dimension must be an integer, got {dim!r}")
    dim = int(dim)
    if not 1 <= dim < size:
        raise InputError(f"dimension d={dim} must satisfy 1 <= d < V={size}")
    return dim


def check_positive(value, name: str) -> float:
    """A strictly positive finite scalar (init scale, learning rate, time)."""
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive finite number, got {value!r}")
    return value
