"""THEORY §1 claim on the top-k eigensolvers (theory.topk): the k largest eigenpairs BY VALUE, as a dense eigh
gives them, each with its residual ||M v - lambda v|| within the stated bound tol * ||M||_2."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from sims.claims.registry import Measurement, register, require


@dataclass(frozen=True)
class TopKCase:
    """A symmetric matrix, k, the solver to use, and whether its top k eigenvectors are unique (no cluster)."""

    matrix: np.ndarray = field(repr=False)
    k: int
    method: str = "lapack"
    device: str = "cpu"
    unique_vectors: bool = True
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"TopKCase(V={self.matrix.shape[0]}, k={self.k}, method={self.method})"


@register("RT-TOPK", "the top-k eigensolver returns the k largest eigenpairs by value (not magnitude), as a dense "
                     "eigh does, eigenvalues descending, each residual ||Mv - lambda v|| within its stated bound "
                     "tol ||M||_2, signs fixed (largest entry positive), deterministic",
          source="THEORY §1: eigenvalues ordered by value, not magnitude", tolerance="eigen_truncation", section=2)
def top_eigenpairs_by_value(case: TopKCase) -> list[Measurement]:
    from theory.topk import top_eigenpairs

    result = top_eigenpairs(case.matrix, case.k, method=case.method, device=case.device)
    again = top_eigenpairs(case.matrix, case.k, method=case.method, device=case.device)
    dense_values, dense_vectors = scipy.linalg.eigh(case.matrix)
    expected = dense_values[::-1][: case.k]
    norm = float(np.abs(dense_values).max())
    require(bool(np.all(result.residuals <= result.bound)), "every residual within the stated bound",
            predicted=result.bound, measured=result.residuals)
    require(result.bound <= 1.01e-8 * norm, "the bound is tol ||M||_2 with tol = 1e-8", predicted=1e-8 * norm,
            measured=result.bound)
    require(bool(np.all(np.diff(result.eigenvalues) <= 0)), "eigenvalues descending", measured=result.eigenvalues)
    largest = np.argmax(np.abs(result.eigenvectors), axis=0)
    require(bool(np.all(result.eigenvectors[largest, np.arange(case.k)] > 0)), "signs fixed (largest entry positive)")
    require(np.array_equal(result.eigenvectors, again.eigenvectors), "deterministic: the same vectors twice")
    out = [Measurement(float(np.max(np.abs(result.eigenvalues - expected))) / norm, expected, result.eigenvalues,
                       what="max_j |lambda_j - dense lambda_j| / ||M||_2 over the top k by value")]
    if case.unique_vectors:
        overlap = np.abs(np.sum(result.eigenvectors * dense_vectors[:, ::-1][:, : case.k], axis=0))
        out.append(Measurement(float(np.max(1.0 - overlap)), 1.0, overlap,
                               what="max_j 1 - |<v_j, dense v_j>| (vectors unique: the top k are separated)"))
    return out
