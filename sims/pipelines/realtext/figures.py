"""The real-text study's figures (matplotlib object API, no pyplot state): dynamics, subspace overlaps, scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from theory.predictions import ClosedForm

DPI = 110


def overlap_matrix(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """(a_i . b_j)^2 for the first k directions of each (paper Fig. 5): which direction matches which."""
    return (a[:, :k].T @ b[:, :k]) ** 2


def dynamics_figure(prediction: ClosedForm, trained: dict, initial: np.ndarray, sigma: float,
                    method: str) -> Figure:
    """s_k^2 of the top modes of trained QWEM (and SGNS) against the closed-form QR-predictor curves."""
    qwem = trained["qwem"]
    tau1 = float(prediction.characteristic_times(sigma)[0])
    shown = min(10, prediction.learned_modes)
    fine = np.linspace(0.0, float(qwem.times[-1]), 400)
    predicted = prediction.trajectory(fine, prediction.random_initial_strengths(initial))
    how = "entry-sampled SGD" if method == "sgd" else "full-batch GD"
    panels = [("qwem", f"QWEM ({how}) vs closed form")]
    if "sgns" in trained:
        extra = ", 2x lr" if method == "sgd" else ""
        panels.append(("sgns", f"SGNS ({how}, tied{extra}) vs QWEM theory"))
    fig = Figure(figsize=(6.2 * len(panels), 4.4), layout="tight")
    axes = fig.subplots(1, len(panels), squeeze=False)
    colours = colormaps["viridis"](np.linspace(0, 0.9, shown))
    for ax, (name, title) in zip(axes[0], panels):
        result = trained[name]
        for j in range(shown):
            ax.plot(result.times / tau1, result.singular_values[:, j] ** 2, color=colours[j], lw=1.6,
                    label="measured" if j == 0 else None)
            ax.plot(fine / tau1, predicted[:, j], color=colours[j], ls="--", lw=1.0,
                    label="theory (QR predictor)" if j == 0 else None)
        ax.set_xlabel(r"rescaled time $t/\tau_1$")
        ax.set_ylabel(r"squared singular value $s_k^2$")
        ax.set_title(f"{title}\ntop {shown} modes")
        ax.legend(loc="upper left")
    return fig


def overlap_figure(reference: np.ndarray, bases: dict, k: int, names: list, labels: dict) -> Figure:
    """Heatmaps of (v_i . u_j)^2 between M*'s eigenvectors and each embedding's singular directions."""
    fig = Figure(figsize=(3.6 * len(names) + 1.0, 3.9), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)
    for ax, name in zip(axes[0], names):
        # extent puts direction 1 at the first cell, matching the 1-based names v_1, v_2, ...
        image = ax.imshow(overlap_matrix(reference, bases[name], k), vmin=0, vmax=1, cmap="magma",
                          extent=(0.5, k + 0.5, k + 0.5, 0.5))
        ax.set_title(f"{labels[name]}\nvs M* eigenvectors")
        ax.set_xlabel(f"{name} singular direction j")
        ax.set_ylabel("M* eigenvector i")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=r"$(v_i \cdot u_j)^2$")
    return fig


def scores_figure(analogy: dict, wordsim: dict, labels: dict) -> Figure:
    """Bar charts of analogy accuracy and WordSim Spearman rho per embedding (in `labels` order)."""
    fig = Figure(figsize=(11, 4.0), layout="tight")
    axes = fig.subplots(1, 2)
    for ax, scores, title, ylabel in ((axes[0], analogy, "Google analogies (3CosAdd)", "accuracy"),
                                      (axes[1], wordsim, "WordSim-353", r"Spearman $\rho$")):
        names = [m for m in labels if scores.get(m) is not None]
        ax.bar(range(len(names)), [scores[m] for m in names], color="tab:blue")
        ax.set_xticks(range(len(names)), [labels[m] for m in names], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    return fig


def write_figures(out_dir: Path, prediction: ClosedForm, trained: dict, initial: np.ndarray, sigma: float,
                  reference: np.ndarray, bases: dict, k: int, analogy: dict, wordsim: dict, labels: dict,
                  method: str = "sgd") -> list[str]:
    """Write the dynamics (when QWEM was trained), overlap (paper Fig. 5) and scores figures; their file names.

    `labels` maps each embedding's name to its display label, in display order.
    """
    out_dir = Path(out_dir)
    figures = []
    if "qwem" in trained:
        figures.append(("realtext_dynamics.png", dynamics_figure(prediction, trained, initial, sigma, method)))
    heat = [m for m in ("qwem", "sgns", "word2vec", "pca_ppmi") if m in bases]
    if heat:
        figures.append(("realtext_overlap.png", overlap_figure(reference, bases, k, heat, labels)))
    figures.append(("realtext_scores.png", scores_figure(analogy, wordsim, labels)))
    for name, fig in figures:
        fig.savefig(out_dir / name, dpi=DPI)
    return [name for name, _ in figures]
