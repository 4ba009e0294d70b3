"""What the CUDA tests (tests/gpu/test_cuda_training.py) and their CPU counterparts (tests/test_sgd_paper.py) share:
the problems, the pair histograms and their binomial z-scores, and a closed form whose eigensolve runs on the GPU.

Nothing here imports gensim or dask (the GPU machine has neither).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from sims.data.synthetic import planted_joint, zipf_unigram
from theory.predictions import ClosedForm, closed_form
from theory.spectrum import Spectrum
from theory.target import Cooccurrence, cooccurrence, target_matrix
from theory.topk import fix_signs

# Histogram problem: V = 12 words, Zipf exponent 0.5, two planted directions: every pair has P_ij >= 6.4e-4,
# so HISTOGRAM_BATCHES x 50,000 draws give every cell >= 6000 expected draws (tolerance sampler_frequency_z).
HISTOGRAM_SIZE = 12
HISTOGRAM_BATCHES = 200
# The paper's size (THEORY §5): V = 10^4 words, d = 200, Zipfian unigram (exponent 1), three planted directions.
PAPER_SIZE, PAPER_DIM = 10_000, 200


def histogram_stats() -> Cooccurrence:
    return cooccurrence(planted_joint(zipf_unigram(HISTOGRAM_SIZE, 0.5), (0.5, 0.3), seed=2))


def zipf_planted_stats(size: int, seed: int = 0) -> Cooccurrence:
    """A planted joint with a Zipfian (exponent 1) unigram, built directly (no corpus counted); P_i = its marginals."""
    joint = planted_joint(zipf_unigram(size, 1.0), (2.0, 1.0, 0.5), seed)
    return Cooccurrence(joint=joint, unigram=joint.sum(axis=1))


def pair_histograms(objective, batches: int, seed: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(positive counts, negative counts) over the V² cells after `batches` minibatches, counted on the device."""
    v = objective.size
    gen = objective.generator(seed)
    positive = torch.zeros(v * v, dtype=torch.int64, device=objective.device)
    negative = torch.zeros_like(positive)
    b = objective.batch
    for _ in range(batches):
        pairs = objective.sample(gen)
        flat = pairs.rows * v + pairs.cols
        positive += torch.bincount(flat[:b], minlength=v * v)
        negative += torch.bincount(flat[b:], minlength=v * v)
    return positive.cpu().numpy(), negative.cpu().numpy(), batches * b, batches * objective.negative_count


def binomial_z(counts: np.ndarray, draws: int, probabilities: np.ndarray) -> np.ndarray:
    """|count - N p| / sqrt(N p (1 - p)) per cell."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    return np.abs(counts - draws * p) / np.sqrt(draws * p * (1.0 - p))


def two_sample_z(first: np.ndarray, second: np.ndarray, draws: int, probabilities: np.ndarray) -> np.ndarray:
    """|count_1 - count_2| / sqrt(2 N p (1 - p)): two independent histograms of the same N draws from p."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    return np.abs(first.astype(np.float64) - second) / np.sqrt(2.0 * draws * p * (1.0 - p))


def closed_form_on(target: np.ndarray, dim: int, device: str, extra_eigenvalues: int = 10) -> ClosedForm:
    """theory.predictions.closed_form(target, dim) with the eigensolve done by torch.linalg.eigh on `device`
    (float64): at V = 10^4 seconds on a GPU instead of a minute of LAPACK on a CPU. Keeps the same top
    max(d + 1, extra_eigenvalues) eigenpairs, descending, with theory.spectrum's sign convention."""
    if device == "cpu":
        return closed_form(target, dim, extra_eigenvalues)
    keep = max(dim + 1, extra_eigenvalues)
    matrix = torch.as_tensor(target, dtype=torch.float64, device=device)
    values, vectors = torch.linalg.eigh(matrix)
    del matrix
    values, vectors = values[-keep:].flip(0).cpu().numpy(), vectors[:, -keep:].flip(1).cpu().numpy()
    spectrum = Spectrum(values, fix_signs(vectors), float(np.vdot(target, target)), target.shape[0])
    return ClosedForm(target=target, dim=dim, spectrum=spectrum)


def paper_size_problem(device: str, size: int = PAPER_SIZE, dim: int = PAPER_DIM) -> tuple[Cooccurrence, ClosedForm]:
    """The Zipfian planted statistics at V = `size` and their closed form at d = `dim` (eigensolve on `device`)."""
    stats = zipf_planted_stats(size)
    return stats, closed_form_on(target_matrix(stats), dim, device)


def write_result(name: str, record: dict) -> Path | None:
    """Write `record` as JSON to $OUT/name (nothing when OUT is unset); returns the path written."""
    folder = os.environ.get("OUT")
    if not folder:
        return None
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True, default=float) + "\n")
    return path
