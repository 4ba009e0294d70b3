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


SYMMETRY_BLOCK = 256


def check_symmetric(a: np.ndarray, name: str, rtol: float = 1e-10) -> np.ndarray:
    """Raise InputError unless `a` is symmetric to `rtol` relative to its largest entry."""
    scale = float(max(np.max(a), -np.min(a))) or 1.0
    # By blocks of rows, so that no V x V temporary is made (and the transposed reads stay in cache).
    asym = max(float(np.max(np.abs(a[i:i + SYMMETRY_BLOCK] - a[:, i:i + SYMMETRY_BLOCK].T)))
               for i in range(0, a.shape[0], SYMMETRY_BLOCK))
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


# ---------------------------------------------------------------------------------------------------------
# Checks of CLI inputs and of the quantities derived from them, made before any computation or any write.
# Each raises InputError with one line that names the argument, the value and the limit it breaks.

# The largest |entry| of a target M* the simulators can take: squares and cubes of M*-sized quantities
# (||M*||_F^2, W (W^T W) with W ~ lam^1/2, lr lam) must stay finite and normal in float64 (1e-308..1e308).
# The dynamics are scale-covariant (M* -> c M* is t -> t / c), so a rescaled M* loses nothing.
MAGNITUDE_RANGE = (1e-100, 1e100)
# The RNGs a seed reaches: numpy's default_rng takes any integer >= 0, torch.Generator.manual_seed at most
# 2^64 - 1, gensim's word2vec (real-text study) seeds a 32-bit RandomState. Phases seed S, S + 1, ...
SEED_LIMITS = {"numpy": None, "torch": 2 ** 64 - 1, "gensim": 2 ** 32 - 1}
# A simulation's steps and records: each GD/SGD step or ODE record costs >= ~10 us, so 10^7 is hours.
MAX_STEPS = 10_000_000
MAX_RECORDS = 100_000
# Working memory one command may plan for (arrays it allocates up front, e.g. SGD's batch and V^2 tables).
MAX_MEMORY_BYTES = 16 * 2 ** 30


def check_finite(value, name: str) -> float:
    """A finite real scalar (a derived quantity: lr lam_1, a horizon); InputError names `name`."""
    value = float(value)
    if not np.isfinite(value):
        raise InputError(f"{name} is not finite ({value!r})")
    return value


def check_magnitude(a: np.ndarray, name: str) -> np.ndarray:
    """Refuse a target whose largest |entry| lies outside MAGNITUDE_RANGE (an all-zero one passes: no modes)."""
    top = float(np.max(np.abs(a))) if a.size else 0.0
    low, high = MAGNITUDE_RANGE
    if top != 0.0 and not low <= top <= high:
        raise InputError(f"{name}: largest |entry| {top:.3g} is outside [{low:g}, {high:g}], where its squares and "
                         "products stay finite in float64; rescale it (M* -> c M* only rescales time by 1/c)")
    return a


def check_learnable(prediction, name: str = "M*", floor: float = 0.0) -> None:
    """Refuse a target with no learnable mode: no eigenvalue among the top d above `floor` (and above the
    closed form's rounding floor), so nothing is learned and there are no steps, step times or learning rates."""
    top = float(prediction.eigenvalues[0])
    if prediction.learned_modes == 0 or top <= floor:
        extra = f" above rounding ({floor:.3g})" if floor > 0 and top > 0 else ""
        raise InputError(f"{name} has no positive eigenvalue among its top d = {prediction.dim}{extra} (largest "
                         f"eigenvalue {top:.3g}): nothing is learned, so there are no steps to predict or simulate")


def check_seed(seed, name: str = "--seed", rngs=("numpy", "torch"), offset: int = 0) -> int:
    """An integer seed in [0, limit - offset] of every RNG in `rngs` (offset: phases use seed + 1, ...)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"{name} must be an integer, got {seed!r}")
    seed = int(seed)
    if seed < 0:
        raise InputError(f"{name} must be >= 0, got {seed}")
    limits = [(SEED_LIMITS[r] - offset, r) for r in rngs if SEED_LIMITS[r] is not None]
    if limits:
        limit, rng = min(limits)
        if seed > limit:
            raise InputError(f"{name} must be <= {limit} ({rng}'s seed limit"
                             + (f", less {offset} for later phases" if offset else "") + f"), got {_short_int(seed)}")
    return seed


def _short_int(value: int) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}...({len(text)} digits)"


def check_count(value, name: str, maximum: int, minimum: int = 1) -> int:
    """An integer count (steps, records, batch) in [minimum, maximum]."""
    if isinstance(value, bool) or int(value) != value:
        raise InputError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if not minimum <= value <= maximum:
        raise InputError(f"{name} = {_short_int(value)} must lie in [{minimum}, {maximum}]")
    return value


def check_memory(nbytes: float, what: str) -> None:
    """Refuse a run whose up-front arrays would exceed MAX_MEMORY_BYTES."""
    if not np.isfinite(nbytes) or nbytes > MAX_MEMORY_BYTES:
        raise InputError(f"{what} needs ~{nbytes / 2 ** 30:.3g} GiB of memory, more than the "
                         f"{MAX_MEMORY_BYTES / 2 ** 30:g} GiB allowed; make it smaller")


def check_init_scale(scale: float, size: int, dim: int, dtype: str = "float64", name: str = "--init-scale") -> float:
    """The init scale of a simulation: sigma^2 a normal number of the working dtype (else W(0)'s modes
    underflow: log s_k^2 = -inf) and ||W(0)||_F^4 ~ (sigma^2 V d)^2 finite in float64 (the loss at W(0))."""
    scale = check_positive(scale, name)
    floor = float(np.finfo(np.dtype(dtype)).tiny) * 1e4  # room below sigma^2 for W(0)'s smaller entries
    if scale * scale < floor:
        raise InputError(f"{name} {scale:g}: sigma^2 = {scale * scale:.3g} underflows {dtype} (needs >= "
                         f"{floor:.3g}), so W(0) cannot be simulated; use sigma >= {np.sqrt(floor):.3g}")
    if 2.0 * np.log10(scale) + np.log10(float(size) * float(dim)) > 150.0:
        raise InputError(f"{name} {scale:g} is too large: ||W(0)||_F^2 ~ sigma^2 V d = 1e"
                         f"{2 * np.log10(scale) + np.log10(size * dim):.0f}, and its square (the loss) overflows")
    return scale
