"""Regenerate the shipped example matrices (deterministic): python examples/make_examples.py."""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def stepped_target(seed: int = 0) -> np.ndarray:
    """A 40 x 40 target with eigenvalues 4, 2, 1, 0.5, a large negative -3, and small noise-like rest."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    rest = np.linspace(0.05, -0.05, 35)
    eigenvalues = np.concatenate([[4.0, 2.0, 1.0, 0.5, -3.0], rest])
    return (basis * eigenvalues) @ basis.T


if __name__ == "__main__":
    m = stepped_target()
    np.save(HERE / "stepped_target.npy", 0.5 * (m + m.T))
