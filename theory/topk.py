"""The k largest eigenpairs BY VALUE of a large dense symmetric matrix, each with its residual and a bound.

Solvers (`method`): "lapack" (LAPACK's subset eigh, driver evr: reduction to tridiagonal form, then only
the wanted pairs), "chebyshev" (block subspace iteration with a Chebyshev filter that damps
[lambda_min, cut] and amplifies the top, Rayleigh-Ritz after each filter; bounds from Lanczos),
"eigsh" (ARPACK's Lanczos), "lobpcg" (SciPy's LOBPCG) and "torch" (torch.linalg.eigh, meant for
device="cuda"). Every result is checked: residual_j = ||M v_j - lambda_j v_j||_2 <= tol * ||M||_2
(||M||_2 = max |lambda|, estimated by Lanczos), else RuntimeError. Eigenvalues come out descending,
eigenvectors with theory.spectrum's sign convention (largest-|entry| positive). Start vectors come from
a fixed seed, so results are deterministic. `benchmarks/test_bench_counting.py` records the candidates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

DEFAULT_TOL = 1e-8
METHODS = ("lapack", "chebyshev", "eigsh", "lobpcg", "torch")
CHEBYSHEV_DEGREE = 12
MAX_ITERATIONS = 200


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


def fix_signs(vectors: np.ndarray) -> np.ndarray:
    """Each column's largest-magnitude entry positive (theory.spectrum's convention)."""
    idx = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[idx, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


def spectral_bounds(matrix: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """(lambda_min, lambda_max), each from a short Lanczos run, widened by its error bound."""
    start = np.random.default_rng(seed).standard_normal(matrix.shape[0])
    ends = []
    for which in ("SA", "LA"):
        value, vector = scipy.sparse.linalg.eigsh(matrix, k=1, which=which, v0=start, tol=1e-6, maxiter=3000)
        # ||M v - theta v|| bounds the distance from theta to the spectrum.
        slack = float(np.linalg.norm(matrix @ vector[:, 0] - value[0] * vector[:, 0]))
        ends.append(float(value[0]) + (slack if which == "LA" else -slack))
    return ends[0], ends[1]


def top_eigenpairs(matrix, k: int, *, method: str = "lapack", device: str = "cpu", tol: float = DEFAULT_TOL,
                   seed: int = 0) -> TopEigenpairs:
    """The k largest eigenpairs by value of the symmetric `matrix` (float64), residuals within tol * ||M||_2."""
    matrix = np.asarray(matrix, dtype=np.float64)
    size = matrix.shape[0]
    if matrix.ndim != 2 or matrix.shape[1] != size or not 1 <= k < size:
        raise ValueError(f"need a square matrix and 1 <= k < V, got shape {matrix.shape} and k = {k}")
    if device != "cpu":
        method = "torch"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    start = time.perf_counter()
    lower, upper = spectral_bounds(matrix, seed)
    norm = max(abs(lower), abs(upper))
    solve = {"lapack": _lapack, "chebyshev": _chebyshev, "eigsh": _eigsh, "lobpcg": _lobpcg, "torch": _torch}
    values, vectors = solve[method](matrix, k, tol=tol, norm=norm, bounds=(lower, upper), seed=seed,
                                    device=device)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], fix_signs(vectors[:, order])
    residuals = _residuals(matrix, values, vectors)
    bound = tol * norm
    if not np.all(residuals <= bound):
        raise RuntimeError(f"{method}: residual {residuals.max():.3g} exceeds the bound {bound:.3g}")
    return TopEigenpairs(values, vectors, residuals, bound, norm, method, time.perf_counter() - start)


def _residuals(matrix, values, vectors) -> np.ndarray:
    return np.linalg.norm(matrix @ vectors - vectors * values, axis=0)


def _lapack(matrix, k, **_):
    size = matrix.shape[0]
    return scipy.linalg.eigh(matrix, subset_by_index=[size - k, size - 1], driver="evr")


def _eigsh(matrix, k, seed, **_):
    start = np.random.default_rng(seed).standard_normal(matrix.shape[0])
    return scipy.sparse.linalg.eigsh(matrix, k=k, which="LA", v0=start, tol=0)


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


def _chebyshev(matrix, k, tol, norm, bounds, seed, **_):
    """Chebyshev-filtered subspace iteration (Zhou and Saad, 2007), block k + k/2, top by value."""
    size = matrix.shape[0]
    block = min(size, k + max(10, k // 2))
    lower, upper = bounds
    x = np.linalg.qr(np.random.default_rng(seed).standard_normal((size, block)))[0]
    cut = 0.5 * (lower + upper)
    for _ in range(MAX_ITERATIONS):
        x = np.linalg.qr(_filter(matrix, x, CHEBYSHEV_DEGREE, lower, cut, upper))[0]
        mx = matrix @ x
        h = x.T @ mx
        values, small = np.linalg.eigh(0.5 * (h + h.T))
        x, mx = x @ small, mx @ small
        residuals = np.linalg.norm(mx[:, -k:] - x[:, -k:] * values[-k:], axis=0)
        if residuals.max() <= 0.5 * tol * norm:
            return values[-k:], x[:, -k:]
        # Damp everything below the smallest Ritz value: the wanted ones all lie above it.
        cut = float(values[0])
    raise RuntimeError(f"chebyshev: no convergence in {MAX_ITERATIONS} iterations")


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
