"""THEORY §2 claims checked through the command line: `w2v-theory predict` gives Theorem 1's truncation."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sims.claims.registry import Measurement, register, require


@dataclass(frozen=True)
class CliCase:
    """A symmetric matrix M, the d to ask `predict` for, and a scratch folder for its input and output."""

    matrix: np.ndarray = field(repr=False)
    dim: int
    folder: Path = field(repr=False)
    label: str = ""

    def __repr__(self) -> str:
        values = np.round(np.linalg.eigvalsh(self.matrix)[::-1], 4).tolist()
        return self.label or f"CliCase(V={self.matrix.shape[0]}, d={self.dim}, eigenvalues={values})"


def run_predict(case: CliCase) -> tuple[dict, np.ndarray]:
    """`w2v-theory predict --matrix M.npy --dim d --out DIR --json`, in-process: (payload, embeddings)."""
    from sims.cli import main

    folder = Path(case.folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "M.npy", case.matrix)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["predict", "--matrix", str(folder / "M.npy"), "--dim", str(case.dim),
                     "--out", str(folder / "out"), "--json"])
    require(code == 0, "predict exits 0", measured=err.getvalue().strip())
    return json.loads(out.getvalue()), np.load(folder / "out" / "embeddings.npy", allow_pickle=False)


@register("CLI-TRUNC", "`w2v-theory predict` writes the eigen-truncation by value: WW^T = sum_(k<=d) max(lam_k, 0) "
                       "v_k v_k^T, with the eigenvalues, learned modes and plateau errors E_k = sum_(j>k) lam_j^2",
          source="Theorem 1 via `w2v-theory predict`", tolerance="eigen_truncation", section=2)
def predict_truncation(case: CliCase) -> list:
    payload, w = run_predict(case)
    values, vectors = np.linalg.eigh(case.matrix)
    order = np.argsort(values)[::-1]
    dim = case.dim
    top = values[order[:dim]]
    expected_gram = (vectors[:, order[:dim]] * np.clip(top, 0, None)) @ vectors[:, order[:dim]].T
    require(w.shape == (case.matrix.shape[0], dim) and w.dtype == np.float64, "embeddings.npy is V x d float64",
            measured=(w.shape, str(w.dtype)))
    scale = max(1.0, float(np.abs(values).max()))
    # An eigenvalue within rounding of zero (eigh returns ~1e-17 for an exact 0) is not a learnable mode.
    learned = int(np.sum(top > 1e-12 * scale))
    require(payload["learned_modes"] == learned, "learned modes = positive eigenvalues among the top d",
            predicted=learned, measured=payload["learned_modes"])
    require(len(payload["step_times"]) == learned, "one step time per learned mode",
            predicted=learned, measured=len(payload["step_times"]))
    shown = min(max(dim + 1, 10), case.matrix.shape[0])
    expected_errors = np.array([float(np.sum(values[order[k:]] ** 2)) for k in range(learned + 1)])
    errors = np.asarray(payload["plateau_errors"], dtype=float)
    error_scale = max(1.0, float(expected_errors[0]))
    return [
        Measurement(float(np.max(np.abs(w @ w.T - expected_gram))), scale=scale,
                    what="predict's WW^T vs the dense eigh truncation by value"),
        Measurement(float(np.max(np.abs(np.asarray(payload["eigenvalues"]) - values[order[:shown]]))), scale=scale,
                    what="printed eigenvalues vs eigh"),
        Measurement(float(np.max(np.abs(errors - expected_errors))), scale=error_scale,
                    what="plateau errors E_k vs sum of squared eigenvalues not learned"),
        Measurement(abs(float(payload["final_error"]) - float(expected_errors[-1])), scale=error_scale,
                    what="final error vs sum of squared eigenvalues not learned"),
    ]
