"""The fast top-k eigensolver (RT-TOPK): the largest eigenpairs BY VALUE, as dense eigh gives them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from theory.topk import METHODS, top_eigenpairs

CPU_METHODS = [m for m in METHODS if m != "torch"]


def prescribed(values: np.ndarray, seed: int) -> np.ndarray:
    """Q diag(values) Q^T with a random orthogonal Q: a symmetric matrix with exactly this spectrum."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(values), len(values))))
    m = (q * values) @ q.T
    return 0.5 * (m + m.T)


@st.composite
def spectra(draw):
    """Top eigenvalues with a clear gap below the k-th, and negative ones larger in magnitude than all of them."""
    size = draw(st.integers(60, 120))
    k = draw(st.integers(1, 12))
    gaps = draw(st.lists(st.floats(0.1, 1.0), min_size=k, max_size=k))
    top = (2.0 + np.cumsum(gaps))[::-1]
    rest = np.random.default_rng(draw(st.integers(0, 2**16))).uniform(-1.0, 1.0, size - k - 3)
    negatives = -draw(st.floats(20.0, 200.0)) * np.array([1.0, 0.7, 0.4])
    return np.concatenate([top, rest, negatives]), k, draw(st.integers(0, 2**16))


@pytest.mark.claim("RT-TOPK", source="THEORY §1: eigenvalues ordered by value, not magnitude")
@pytest.mark.parametrize("method", CPU_METHODS)
@given(problem=spectra())
def test_top_eigenpairs_match_dense_eigh(method, problem):
    values, k, seed = problem
    m = prescribed(values, seed)
    result = top_eigenpairs(m, k, method=method)
    dense_values, dense_vectors = scipy.linalg.eigh(m)
    expected = dense_values[::-1][:k]
    norm = np.abs(dense_values).max()
    assert np.all(result.residuals <= result.bound)
    assert result.bound <= 1e-8 * norm * 1.01
    np.testing.assert_allclose(result.eigenvalues, expected, rtol=0, atol=1e-9 * norm)
    # Same vectors up to sign (the gap makes them unique): |<v, v_dense>| = 1.
    overlap = np.abs(np.sum(result.eigenvectors * dense_vectors[:, ::-1][:, :k], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-7)
    largest = np.argmax(np.abs(result.eigenvectors), axis=0)
    assert np.all(result.eigenvectors[largest, np.arange(k)] > 0)


@pytest.mark.claim("RT-TOPK", source="THEORY §1: a cluster at the top is resolved too")
def test_clustered_top_and_determinism():
    values = np.concatenate([[5.0, 5.0 - 1e-9, 4.0], np.linspace(-1, 1, 150), [-80.0]])
    m = prescribed(values, 3)
    first = top_eigenpairs(m, 3, method="chebyshev")
    again = top_eigenpairs(m, 3, method="chebyshev")
    assert np.array_equal(first.eigenvectors, again.eigenvectors)
    np.testing.assert_allclose(first.eigenvalues, [5.0, 5.0, 4.0], atol=1e-8 * 80)
    assert np.all(first.residuals <= first.bound)


@pytest.mark.cuda
def test_torch_cuda_path_matches():
    m = prescribed(np.concatenate([[9.0, 7.0, 3.0], np.linspace(-1, 1, 200), [-50.0]]), 1)
    gpu = top_eigenpairs(m, 3, device="cuda")
    cpu = top_eigenpairs(m, 3, method="lapack")
    np.testing.assert_allclose(gpu.eigenvalues, cpu.eigenvalues, atol=1e-9 * 50)
    assert np.all(gpu.residuals <= gpu.bound)
