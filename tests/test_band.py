"""The reduction to band form (theory.band): an orthogonal similarity to a band matrix whatever the size, bandwidth
and short last panel; and theory.spectrum's routing to the two-stage "band" solver."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_topk import prescribed
from theory import spectrum, topk
from theory.band import band_matvec, band_reduce
from theory.tolerances import tolerance
from theory.topk import band_eigenpairs as unpatched

# Backward error of the reduction relative to ||M||_2, held to the suite's float64 eigen tolerance (Householder
# reductions are backward stable: ~ V eps_64 ||M||, far below it at these sizes).
ALLOWED = tolerance("eigen_truncation").value


@st.composite
def reductions(draw):
    """A symmetric matrix with a prescribed spectrum (a bulk and large negative outliers), and a bandwidth."""
    size = draw(st.integers(2, 90))
    width = draw(st.integers(1, size - 1))
    values = np.random.default_rng(draw(st.integers(0, 2**16))).uniform(-1.0, 1.0, size)
    values[:min(2, size - 1)] = -draw(st.floats(1.0, 100.0)) * np.array([1.0, 0.6])[:min(2, size - 1)]
    values = np.sort(values)
    return prescribed(values, draw(st.integers(0, 2**16))), values, width


def dense_band(band: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose lower band `band` holds (LAPACK 'L' band storage)."""
    size, out = band.shape[1], np.zeros((band.shape[1],) * 2)
    for offset in range(band.shape[0]):
        rows = np.arange(size - offset)
        out[rows + offset, rows] = out[rows, rows + offset] = band[offset, :size - offset]
    return out


@given(problem=reductions())
def test_band_reduction_is_an_orthogonal_similarity(problem):
    matrix, values, width = problem
    original = matrix.copy()
    reduction = band_reduce(matrix, width)
    size, norm = matrix.shape[0], float(np.abs(values).max())
    band = dense_band(reduction.band)
    q = reduction.back_transform(np.eye(size))
    assert np.array_equal(matrix, original), "the input is not modified"
    orthogonality = np.abs(q.T @ q - np.eye(size)).max()
    similarity = np.abs(q @ band @ q.T - matrix).max() / norm
    spectrum_error = np.abs(np.linalg.eigvalsh(band) - values).max() / norm
    assert orthogonality <= ALLOWED, f"Q^T Q - I: {orthogonality:.3g} > {ALLOWED:.3g}"
    assert similarity <= ALLOWED, f"Q B Q^T - M: {similarity:.3g} ||M|| > {ALLOWED:.3g} ||M|| (width {width})"
    assert spectrum_error <= ALLOWED, f"eigenvalues of B vs M: {spectrum_error:.3g} ||M|| > {ALLOWED:.3g} ||M||"
    x = np.random.default_rng(0).standard_normal(size)
    np.testing.assert_allclose(band_matvec(reduction.band)(x), band @ x, rtol=0, atol=1e-12 * norm * size)


def test_band_reduction_rejects_bad_shapes():
    with pytest.raises(ValueError, match="width"):
        band_reduce(np.eye(4), 4)
    with pytest.raises(ValueError, match="square"):
        band_reduce(np.ones((3, 4)), 1)


def test_spectrum_routes_to_band_and_matches_dense(monkeypatch):
    values = np.concatenate([np.linspace(9.0, 3.0, 6), np.linspace(-1.0, 1.0, 200), [-60.0, -40.0]])
    matrix = prescribed(values, 5)
    monkeypatch.setattr(spectrum, "BAND_MIN_SIZE", 100)
    monkeypatch.setattr(spectrum, "LANCZOS_MIN_SIZE", 10**9)
    calls = []
    monkeypatch.setattr(topk, "band_eigenpairs", lambda *a, **o: calls.append(1) or unpatched(*a, **o))
    spectrum._cache.clear()
    top = spectrum.top_eigenpairs(matrix, 6)
    spectrum._cache.clear()
    assert calls, "V >= BAND_MIN_SIZE and k <= BAND_MAX_FRACTION V go to the band solver"
    dense_values, dense_vectors = np.linalg.eigh(matrix)
    np.testing.assert_allclose(top.eigenvalues, dense_values[::-1][:6], rtol=0,
                               atol=tolerance("eigen_truncation").value * 60.0)
    overlap = np.abs(np.sum(top.eigenvectors * dense_vectors[:, ::-1][:, :6], axis=0))
    assert np.all(1.0 - overlap <= tolerance("eigen_truncation").value), overlap
