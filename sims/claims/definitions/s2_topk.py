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
    from theory.topk import method_tol, top_eigenpairs

    result = top_eigenpairs(case.matrix, case.k, method=case.method, device=case.device)
    again = top_eigenpairs(case.matrix, case.k, method=case.method, device=case.device)
    dense_values, dense_vectors = scipy.linalg.eigh(case.matrix)
    expected = dense_values[::-1][: case.k]
    norm = float(np.abs(dense_values).max())
    require(bool(np.all(result.residuals <= result.bound)), "every residual within the stated bound",
            predicted=result.bound, measured=result.residuals)
    tol = method_tol(case.method, case.matrix.shape[0])
    require(result.bound <= 1.01 * tol * norm, f"the bound is the method's stated tol ||M||_2, tol = {tol:.3g}",
            predicted=tol * norm, measured=result.bound)
    require(bool(np.all(np.diff(result.eigenvalues) <= 0)), "eigenvalues descending", measured=result.eigenvalues)
    largest = np.argmax(np.abs(result.eigenvectors), axis=0)
    require(bool(np.all(result.eigenvectors[largest, np.arange(case.k)] > 0)), "signs fixed (largest entry positive)")
    require(np.array_equal(result.eigenvectors, again.eigenvectors), "deterministic: the same vectors twice")
    if case.method == "float32":
        return _ritz_measurements(case, result, dense_values[::-1], dense_vectors[:, ::-1])
    out = [Measurement(float(np.max(np.abs(result.eigenvalues - expected))) / norm, expected, result.eigenvalues,
                       what="max_j |lambda_j - dense lambda_j| / ||M||_2 over the top k by value")]
    if case.unique_vectors:
        overlap = np.abs(np.sum(result.eigenvectors * dense_vectors[:, ::-1][:, : case.k], axis=0))
        out.append(Measurement(float(np.max(1.0 - overlap)), 1.0, overlap,
                               what="max_j 1 - |<v_j, dense v_j>| (vectors unique: the top k are separated)"))
    return out


def _ritz_measurements(case: TopKCase, result, values: np.ndarray, vectors: np.ndarray) -> list[Measurement]:
    """A float32 solve refined by float64 Rayleigh-Ritz, held to the perturbation theorems rather than to float64
    rounding: each Ritz value within ||R||_F of the dense eigenvalue of the same rank (Kahan-Parlett-Jiang, with the
    Ritz values interlacing the top k), and each vector's 1 - |cos| to its dense one within (r_j / delta_j)^2, r_j its
    residual and delta_j the distance from its Ritz value to the rest of the spectrum (Davis-Kahan sin theta)."""
    k = case.k
    residual_norm = float(np.sqrt(np.sum(result.residuals ** 2)))
    value_error = float(np.max(np.abs(result.eigenvalues - values[:k])))
    out = [Measurement(value_error / max(residual_norm, np.finfo(float).tiny), residual_norm,
                       result.eigenvalues - values[:k], tolerance="ritz_bound",
                       what="max_j |theta_j - dense lambda_j| / ||R||_F (<= 1: Kahan-Parlett-Jiang)")]
    if case.unique_vectors:
        overlap = np.abs(np.sum(result.eigenvectors * vectors[:, :k], axis=0))
        others = np.array([np.min(np.abs(np.delete(values, j) - result.eigenvalues[j])) for j in range(k)])
        allowed = (result.residuals / others) ** 2
        out.append(Measurement(float(np.max((1.0 - overlap) / np.maximum(allowed, np.finfo(float).eps))),
                               allowed, 1.0 - overlap, tolerance="ritz_bound",
                               what="max_j (1 - |<v_j, dense v_j>|) / (r_j / delta_j)^2 (<= 1: Davis-Kahan)"))
    return out
