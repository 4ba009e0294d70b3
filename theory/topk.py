"""The k largest eigenpairs BY VALUE of a large dense symmetric matrix, each with its residual and a bound.

Solvers (`method`): "band" (two stages: theory.band's blocked Householder reduction to a band of half-width
BANDWIDTH, all BLAS-3, then ARPACK's Lanczos on the band, whose products cost O(V x width), and the vectors
transformed back), "lapack" (LAPACK's subset eigh, driver evr: reduction to tridiagonal form, then only the
wanted pairs), "float32" (LAPACK's evr in float32, then one float64 Rayleigh-Ritz on its vectors: to float32's
accuracy), "mixed" (LAPACK's evr in float32 for k + k/4 pairs, then float64 Chebyshev-filtered subspace
iterations, each followed by Rayleigh-Ritz, until the float64 residuals meet the bound), "chebyshev" (the same
filtered iteration from a random start, entirely in float64), "eigsh" (ARPACK's Lanczos on the dense matrix),
"lobpcg" (SciPy's LOBPCG) and "torch" (torch.linalg.eigh, meant for device="cuda").
The Chebyshev filters damp [lambda_min, cut] and amplify the top; the few eigenvalues far below the rest
(real M* has one near -2 V x the fraction of unseen pairs, from its -2 entries) are deflated first, found by
Lanczos, so that the damped interval, and with it the number of filter steps, shrinks.
Every result is checked: residual_j = ||M v_j - lambda_j v_j||_2 <= tol * ||M||_2 (||M||_2 = max |lambda|,
estimated by Lanczos, on the band for "band"), else RuntimeError; tol is DEFAULT_TOL, or for "float32"
`float32_tol(V)`. Eigenvalues come out descending, eigenvectors with theory.spectrum's sign convention
(largest-|entry| positive). Start vectors come from a fixed seed, so results are deterministic.
tests/benchmarks/test_bench_spectra.py records the candidates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from theory.spectrum import fix_signs, seeded_eigsh

DEFAULT_TOL = 1e-8
FLOAT32_MIN_UNITS = 16
METHODS = ("band", "lapack", "float32", "mixed", "chebyshev", "eigsh", "lobpcg", "torch")
CHEBYSHEV_DEGREE = 12
MAX_ITERATIONS = 200
# Float64 polish of the float32 solution: a filter of this degree per pass (float32's residual floor,
# ~1e-6 ||M||, is 100x above the bound; after deflation one pass gains more than that on the real-text
# targets, tests/benchmarks/test_bench_spectra.py), at most MIXED_PASSES passes.
MIXED_DEGREE = 8
MIXED_PASSES = 12
# Extra pairs carried in the block beyond the wanted k: the filter's damping at the k-th eigenvalue grows
# with its gap to the block's bottom (the cut), so a wider block converges in fewer passes.
BLOCK_EXTRA_FRACTION = 0.25
BLOCK_EXTRA_MIN = 10
# Half-bandwidth of the "band" solver's first stage: wider panels make its BLAS-3 calls faster and each product
# with the band dearer (tests/benchmarks/test_bench_spectra.py measures both); small matrices get at least
# BAND_MIN_PANELS panels.
BANDWIDTH = 256
BAND_MIN_PANELS = 8
# Eigenvalues below OUTLIER_FACTOR x the next one (in magnitude, negative side) are deflated before filtering,
# at most MAX_DEFLATED of them.
OUTLIER_FACTOR = 4.0
MAX_DEFLATED = 3


def float32_tol(size: int) -> float:
    """The residual bound, relative to ||M||_2, of a float32 solve followed by a float64 Rayleigh-Ritz step:
    max(V, FLOAT32_MIN_UNITS) eps_32. Wilkinson's bound on the backward error of a sequence of Householder
    reflections (reduction to tridiagonal or band form) is gamma_cV = O(c V u) at unit roundoff u = eps_32 with a
    small constant c (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., section 19.3): c = 1 here,
    with a floor for the few u every entry carries whatever V (its rounding to float32, each reflector's own).
    The float64 projection then minimises the block's residual over the span of those vectors."""
    return max(size, FLOAT32_MIN_UNITS) * float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class TopEigenpairs:
    """Top-k eigenpairs by value, with per-pair residuals and the bound each residual satisfies."""

    eigenvalues: np.ndarray   # (k,) descending
    eigenvectors: np.ndarray  # (V, k), unit columns, signs fixed
    residuals: np.ndarray     # (k,) ||M v - lambda v||_2
    bound: float              # tol * ||M||_2: every residual is <= bound
    norm: float               # the ||M||_2 estimate used in the bound
    method: str
    seconds: float


def spectral_bounds(matrix, seed: int = 0) -> tuple[float, float]:
    """(lambda_min, lambda_max), both from one short Lanczos run (both ends), each widened by its error bound;
    `matrix` an array or a scipy LinearOperator."""
    start = np.random.default_rng(seed).standard_normal(matrix.shape[0])
    values, vectors = seeded_eigsh(matrix, seed, k=2, which="BE", v0=start, tol=1e-6, maxiter=3000)
    # ||M v - theta v|| bounds the distance from theta to the spectrum.
    slack = np.linalg.norm(matrix @ vectors - vectors * values, axis=0)
    return float(values[0] - slack[0]), float(values[1] + slack[1])


def bandwidth(size: int) -> int:
    """The "band" solver's half-bandwidth at V = size: BANDWIDTH, or less so that there are BAND_MIN_PANELS panels."""
    return max(1, min(BANDWIDTH, size // BAND_MIN_PANELS))


def band_eigenpairs(matrix: np.ndarray, k: int, tol: float = DEFAULT_TOL, seed: int = 0):
    """(values ascending, vectors, (lambda_min, lambda_max)) of the top k by value: M reduced to a band
    (theory.band), ARPACK's Lanczos on the band to a tenth of tol (its Ritz residuals are <= that times
    |theta| <= ||M||_2), the vectors transformed back; the spectral bounds from the band (the same spectrum as M to
    the reduction's rounding)."""
    from theory.band import band_matvec, band_reduce

    size = matrix.shape[0]
    reduction = band_reduce(matrix, bandwidth(size))
    operator = scipy.sparse.linalg.LinearOperator((size, size), matvec=band_matvec(reduction.band),
                                                  dtype=np.float64)
    bounds = spectral_bounds(operator, seed)
    start = np.random.default_rng(seed).standard_normal(size)
    values, vectors = seeded_eigsh(operator, seed, k=k, which="LA", v0=start, tol=0.1 * tol)
    return values, reduction.back_transform(vectors), bounds


def top_eigenpairs(matrix, k: int, *, method: str = "lapack", device: str = "cpu", tol: float | None = None,
                   seed: int = 0) -> TopEigenpairs:
    """The k largest eigenpairs by value of the symmetric `matrix` (float64), residuals within tol * ||M||_2
    (tol None: the method's own, `method_tol`)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    size = matrix.shape[0]
    if matrix.ndim != 2 or matrix.shape[1] != size or not 1 <= k < size:
        raise ValueError(f"need a square matrix and 1 <= k < V, got shape {matrix.shape} and k = {k}")
    if device != "cpu":
        method = "torch"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    tol = method_tol(method, size) if tol is None else tol
    start = time.perf_counter()
    if method == "band":
        values, vectors, (lower, upper) = band_eigenpairs(matrix, k, tol=tol, seed=seed)
        norm = max(abs(lower), abs(upper))
    else:
        lower, upper = spectral_bounds(matrix, seed)
        norm = max(abs(lower), abs(upper))
        solve = {"lapack": _lapack, "float32": _float32, "mixed": _mixed, "chebyshev": _chebyshev,
                 "eigsh": _eigsh, "lobpcg": _lobpcg, "torch": _torch}
        values, vectors = solve[method](matrix, k, tol=tol, norm=norm, bounds=(lower, upper), seed=seed,
                                        device=device)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], fix_signs(vectors[:, order])
    residuals = _residuals(matrix, values, vectors)
    bound = tol * norm
    if not np.all(residuals <= bound):
        raise RuntimeError(f"{method}: residual {residuals.max():.3g} exceeds the bound {bound:.3g}")
    return TopEigenpairs(values, vectors, residuals, bound, norm, method, time.perf_counter() - start)


def method_tol(method: str, size: int) -> float:
    """The stated residual bound of `method` relative to ||M||_2: float32_tol(V) for "float32", else DEFAULT_TOL."""
    return float32_tol(size) if method == "float32" else DEFAULT_TOL


def _residuals(matrix, values, vectors) -> np.ndarray:
    return np.linalg.norm(matrix @ vectors - vectors * values, axis=0)


def _lapack(matrix, k, **_):
    size = matrix.shape[0]
    return scipy.linalg.eigh(matrix, subset_by_index=[size - k, size - 1], driver="evr")


def _float32(matrix, k, **_):
    """float32 LAPACK evr for the top k, then Rayleigh-Ritz in float64 on the span of its vectors."""
    return float32_eigenpairs(matrix, k)


def float32_eigenpairs(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top k eigenpairs (ascending) of float64 `matrix` from float32 LAPACK evr, refined by one float64
    Rayleigh-Ritz: float64-orthonormal vectors, Ritz values accurate to ~ residual^2 / gap."""
    size = matrix.shape[0]
    _, start = scipy.linalg.eigh(matrix.astype(np.float32), subset_by_index=[size - k, size - 1], driver="evr",
                                 overwrite_a=True, check_finite=False)
    return _rayleigh_ritz(matrix, start.astype(np.float64), k)


def _eigsh(matrix, k, seed, **_):
    start = np.random.default_rng(seed).standard_normal(matrix.shape[0])
    return seeded_eigsh(matrix, seed, k=k, which="LA", v0=start, tol=0)


def _lobpcg(matrix, k, tol, norm, seed, **_):
    start = np.random.default_rng(seed).standard_normal((matrix.shape[0], k))
    # LOBPCG stops on each residual norm: ask for a tenth of the bound to leave room after Rayleigh-Ritz.
    values, vectors = scipy.sparse.linalg.lobpcg(matrix, start, largest=True, tol=0.1 * tol * norm,
                                                 maxiter=MAX_ITERATIONS)
    return _rayleigh_ritz(matrix, vectors, k)


def _torch(matrix, k, device, **_):
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' asked for but torch sees no CUDA device")
    values, vectors = torch.linalg.eigh(torch.from_numpy(matrix).to(device))
    return values[-k:].cpu().numpy(), vectors[:, -k:].cpu().numpy()


def _rayleigh_ritz(matrix, basis, k):
    q, _ = np.linalg.qr(basis)
    h = q.T @ (matrix @ q)
    values, small = np.linalg.eigh(0.5 * (h + h.T))
    return values[-k:], q @ small[:, -k:]


def block_size(size: int, k: int) -> int:
    """Columns of the filtered block: k plus max(BLOCK_EXTRA_MIN, BLOCK_EXTRA_FRACTION k), at most V."""
    return min(size, k + max(BLOCK_EXTRA_MIN, int(BLOCK_EXTRA_FRACTION * k)))


class _Deflated:
    """M - sum_j mu_j u_j u_j^T for the few outlying most negative eigenpairs (mu_j, u_j) of M, and its spectral
    interval [lower, upper] (each end from Lanczos, widened by its error bound)."""

    def __init__(self, matrix, bounds, seed):
        self.matrix = matrix
        lower, self.upper = bounds
        size = matrix.shape[0]
        self.values, self.vectors = np.zeros(0), np.zeros((size, 0))
        count = min(MAX_DEFLATED + 1, size - 2)
        if count >= 2 and lower < 0:
            start = np.random.default_rng(seed + 1).standard_normal(size)
            values, vectors = seeded_eigsh(matrix, seed + 1, k=count, which="SA", v0=start, tol=1e-10)
            keep = _outliers(values)
            if keep:
                self.values, self.vectors = values[:keep], vectors[:, :keep]
                # The first eigenvalue kept is the deflated operator's smallest (Lanczos found the smallest
                # `count`); ||M v - theta v|| bounds its distance to the spectrum.
                slack = float(np.linalg.norm(matrix @ vectors[:, keep] - values[keep] * vectors[:, keep]))
                lower = float(values[keep]) - slack
        self.lower = lower

    def __matmul__(self, x):
        out = self.matrix @ x
        if self.values.size:
            basis = self.vectors.astype(x.dtype, copy=False)
            out -= (basis * self.values.astype(x.dtype)) @ (basis.T @ x)
        return out

    def project_out(self, x):
        """x with its components along the deflated eigenvectors removed (they belong to the bottom)."""
        if not self.values.size:
            return x
        basis = self.vectors.astype(x.dtype, copy=False)
        return x - basis @ (basis.T @ x)


def _outliers(ascending: np.ndarray) -> int:
    """How many of the most negative eigenvalues (ascending) lie beyond the largest jump in magnitude, if that jump
    is at least OUTLIER_FACTOR; 0 otherwise."""
    magnitudes = np.abs(np.minimum(ascending, 0.0))
    ratios = magnitudes[:-1] / np.maximum(magnitudes[1:], np.finfo(float).tiny)
    jump = int(np.argmax(ratios))
    return jump + 1 if magnitudes[jump] > 0 and ratios[jump] >= OUTLIER_FACTOR else 0


def _filtered_iteration(operator, x, k, degree, passes, target):
    """Chebyshev-filtered subspace iteration on `operator` from the block `x` (float64) until the top k residuals
    are <= target; Rayleigh-Ritz after each filter, the cut moved to the block's smallest Ritz value."""
    cut = 0.5 * (operator.lower + operator.upper)
    for iteration in range(passes + 1):
        if iteration:
            x = _filter(operator, x, degree, operator.lower, cut, operator.upper)
        x = np.linalg.qr(operator.project_out(x))[0]
        mx = operator @ x
        h = x.T @ mx
        values, small = np.linalg.eigh(0.5 * (h + h.T))
        x, mx = x @ small, mx @ small
        residuals = np.linalg.norm(mx[:, -k:] - x[:, -k:] * values[-k:], axis=0)
        if residuals.max() <= target:
            return values[-k:], x[:, -k:]
        # Damp everything below the smallest Ritz value: the wanted ones all lie above it.
        cut = float(values[0])
    raise RuntimeError(f"filtered subspace iteration: no convergence in {passes} passes")


def _mixed(matrix, k, tol, norm, bounds, seed, **_):
    """float32 LAPACK evr for the top block, then float64 filtered passes until the residuals meet half the bound."""
    size = matrix.shape[0]
    block = block_size(size, k)
    _, start = scipy.linalg.eigh(matrix.astype(np.float32), subset_by_index=[size - block, size - 1], driver="evr")
    operator = _Deflated(matrix, bounds, seed)
    return _filtered_iteration(operator, start.astype(np.float64), k, MIXED_DEGREE, MIXED_PASSES, 0.5 * tol * norm)


def _chebyshev(matrix, k, tol, norm, bounds, seed, **_):
    """Chebyshev-filtered subspace iteration (Zhou and Saad, 2007) from a random block, top by value."""
    size = matrix.shape[0]
    operator = _Deflated(matrix, bounds, seed)
    start = np.random.default_rng(seed).standard_normal((size, block_size(size, k)))
    return _filtered_iteration(operator, start, k, CHEBYSHEV_DEGREE, MAX_ITERATIONS, 0.5 * tol * norm)


def _filter(matrix, x, degree, lower, cut, upper):
    """p(M) x with p the degree-`degree` Chebyshev polynomial small on [lower, cut], scaled to 1 at upper."""
    centre, half = 0.5 * (cut + lower), 0.5 * (cut - lower)
    sigma = half / (upper - centre)
    sigma_1 = sigma
    y = (matrix @ x - centre * x) * (sigma_1 / half)
    for _ in range(2, degree + 1):
        sigma_next = 1.0 / (2.0 / sigma_1 - sigma)
        y_next = (matrix @ y - centre * y) * (2.0 * sigma_next / half) - (sigma * sigma_next) * x
        x, y, sigma = y, y_next, sigma_next
    return y
