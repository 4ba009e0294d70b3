"""The fast top-k eigensolver (RT-TOPK; registry: sims/claims/definitions/s2_topk.py): the largest eigenpairs BY
VALUE, as dense eigh gives them, each residual within its stated bound."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.s2_topk import TopKCase
from sims.claims.recording import check_claim
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


@pytest.mark.claim("RT-TOPK")
@pytest.mark.parametrize("method", CPU_METHODS)
@given(problem=spectra())
def test_top_eigenpairs_match_dense_eigh(method, problem):
    values, k, seed = problem
    check_claim("RT-TOPK", TopKCase(prescribed(values, seed), k, method,
                                    label=f"V={len(values)}, k={k}, seed={seed}, method={method}, "
                                          f"top {np.round(values[:k], 3)}, most negative {values[-1]:.3g}"))


@pytest.mark.claim("RT-TOPK")
def test_clustered_top_and_determinism():
    values = np.concatenate([[5.0, 5.0 - 1e-9, 4.0], np.linspace(-1, 1, 150), [-80.0]])
    check_claim("RT-TOPK", TopKCase(prescribed(values, 3), 3, "chebyshev", unique_vectors=False,
                                    label="eigenvalues 5, 5 - 1e-9, 4 over a [-1, 1] bulk and -80"))


@pytest.mark.cuda
def test_torch_cuda_path_matches():
    m = prescribed(np.concatenate([[9.0, 7.0, 3.0], np.linspace(-1, 1, 200), [-50.0]]), 1)
    check_claim("RT-TOPK", TopKCase(m, 3, "torch", device="cuda", label="V=204, k=3 on CUDA"))
    gpu = top_eigenpairs(m, 3, device="cuda")
    cpu = top_eigenpairs(m, 3, method="lapack")
    np.testing.assert_allclose(gpu.eigenvalues, cpu.eigenvalues, atol=1e-9 * 50)
    assert np.all(gpu.residuals <= gpu.bound)
