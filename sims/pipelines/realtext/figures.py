"""The real-text study's figures (matplotlib object API, no pyplot state): dynamics, subspace overlaps, scores."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from theory.predictions import ClosedForm

DPI = 110
TRAINER_LABELS = {"gd": "full-batch GD, exact expected loss", "sgd": "entry-sampled SGD",
                  "pairs": "SGD, 50k + 50k sampled pairs per step"}


def overlap_matrix(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """(a_i . b_j)^2 for the first k directions of each (paper Fig. 5): which direction matches which."""
    return (a[:, :k].T @ b[:, :k]) ** 2


def dynamics_figure(prediction: ClosedForm, trained: dict, initial: np.ndarray, sigma: float,
                    method: str) -> Figure:
    """Paper Fig. 1 on real text: top squared singular values s_k^2 (upper row) and the error ||WW^T - M*||_F^2
    (lower row) of trained QWEM (and SGNS) against time, with the closed-form curves (QR predictor) and plateaus."""
    tau1 = float(prediction.random_step_times(initial)[0])
    shown = min(10, prediction.learned_modes)
    strengths = prediction.random_initial_strengths(initial)
    how = TRAINER_LABELS.get(method, method)
    panels = [("qwem", f"QWEM ({how})")]
    if "sgns" in trained:
        panels.append(("sgns", f"SGNS ({how}, tied{', 2x lr' if method in ('sgd', 'pairs') else ''}) vs QWEM theory"))
    fig = Figure(figsize=(6.2 * len(panels), 8.2), layout="tight")
    axes = fig.subplots(2, len(panels), squeeze=False)
    colours = colormaps["viridis"](np.linspace(0, 0.9, shown))
    for column, (name, title) in enumerate(panels):
        result = trained[name]
        fine = np.linspace(0.0, float(result.times[-1]), 400)
        predicted = prediction.trajectory(fine, strengths)
        top, bottom = axes[0, column], axes[1, column]
        for j in range(shown):
            top.plot(result.times / tau1, result.singular_values[:, j] ** 2, color=colours[j], lw=1.6,
                     label="measured" if j == 0 else None)
            top.plot(fine / tau1, predicted[:, j], color=colours[j], ls="--", lw=1.0,
                     label="closed form (QR predictor)" if j == 0 else None)
        top.set_ylabel(r"squared singular value $s_k^2$")
        top.set_title(f"{title}\ntop {shown} modes")
        top.legend(loc="upper left")
        bottom.plot(result.times / tau1, result.error, color="black", lw=1.6, label="measured")
        bottom.plot(fine / tau1, prediction.error_trajectory(fine, strengths), color="tab:red", ls="--", lw=1.0,
                    label="closed form")
        for level in prediction.plateau_errors[: shown + 1]:
            bottom.axhline(level, color="grey", lw=0.4, ls=":")
        bottom.set_yscale("log")
        bottom.set_ylabel(r"$\|WW^T - M^*\|_F^2$ (dotted: plateaus $E_k$)")
        bottom.legend(loc="upper right")
        for ax in (top, bottom):
            ax.set_xlabel(r"rescaled time $t/\tau_1$ ($\tau_1$: QR-predicted half-height time of mode 1)")
    return fig


def init_scale_figure(prediction: ClosedForm, runs: dict) -> Figure:
    """Paper Fig. 2 on real text: s_k^2 / lam_k of trained QWEM against t / tau_1 from a small and from a
    word2vec-sized init (tau_1 of each run from its own W(0)); steps sharpen as the init shrinks."""
    shown = min(10, prediction.learned_modes)
    lam = prediction.learned_eigenvalues[:shown]
    fig = Figure(figsize=(6.2 * len(runs), 4.4), layout="tight")
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    colours = colormaps["viridis"](np.linspace(0, 0.9, shown))
    for ax, (label, (initial, result)) in zip(axes, runs.items()):
        tau1 = float(prediction.random_step_times(initial)[0])
        sigma = float(np.std(initial))
        for j in range(shown):
            ax.plot(result.times / tau1, result.singular_values[:, j] ** 2 / lam[j], color=colours[j], lw=1.4)
        ax.set_xlabel(r"$t / \tau_1$")
        ax.set_ylabel(r"$s_k^2 / \lambda_k$")
        ax.set_title(f"{label} init, sigma = {sigma:.2g}: top {shown} modes")
        ax.set_ylim(-0.05, 1.2)
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


def scores_figure(scores: dict, labels: dict) -> Figure:
    """One bar chart per evaluation set: each row's score (analogy accuracy or Spearman rho), coverage in the title."""
    from sims.data.evaluation import EVALUATION_SETS

    sets = [s for s in EVALUATION_SETS if any(scores.get(m) and s.name in scores[m] for m in labels)]
    columns = 3
    rows = max(1, math.ceil(len(sets) / columns))
    fig = Figure(figsize=(4.4 * columns, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    names = list(labels)
    colours = colormaps["tab10"](np.arange(len(names)) % 10)
    for ax, spec in zip(axes, sets):
        values = [(scores[m] or {}).get(spec.name, {}).get("score") if scores.get(m) else None for m in names]
        ax.bar(range(len(names)), [np.nan if v is None else v for v in values], color=colours)
        ax.set_xticks(range(len(names)), [labels[m] for m in names], rotation=35, ha="right", fontsize=7)
        cell = next((scores[m][spec.name] for m in names if scores.get(m)), {"covered": 0, "total": 0})
        ax.set_title(f"{spec.label} ({cell['covered']}/{cell['total']} in vocabulary)", fontsize=9)
        ax.set_ylabel("accuracy (3CosAdd)" if spec.kind == "analogy" else r"Spearman $\rho$", fontsize=8)
    for ax in axes[len(sets):]:
        ax.set_visible(False)
    return fig


def size_figure(sweep: list, labels: dict, sets=("google", "ws353", "simlex", "men")) -> Figure:
    """Each row's score against corpus size (tokens of each prefix, log axis), one panel per set."""
    from sims.data.evaluation import SETS_BY_NAME

    fig = Figure(figsize=(4.2 * len(sets), 3.8), layout="constrained")
    axes = fig.subplots(1, len(sets), squeeze=False)[0]
    for ax, name in zip(axes, sets):
        for m, label in labels.items():
            points = [(p["tokens"], p["scores"][m][name]["score"]) for p in sweep
                      if p["scores"].get(m) and p["scores"][m].get(name, {}).get("score") is not None]
            if points:
                x, y = zip(*points)
                ax.plot(x, y, marker="o", lw=1.4, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("corpus tokens (subset)")
        ax.set_ylabel("accuracy" if SETS_BY_NAME[name].kind == "analogy" else r"Spearman $\rho$")
        ax.set_title(SETS_BY_NAME[name].label)
    axes[0].legend(fontsize=7, loc="best")
    return fig


def rank_figure(rank: dict, families: int = 6) -> Figure:
    """Rank as early stopping: the closed form truncated at rank k against trained QWEM (and SGNS) at the
    records where its effective rank is k; panels: each tracked set, then the largest Google families."""
    from sims.data.evaluation import SETS_BY_NAME

    columns = rank["columns"]
    sizes = rank.get("family_questions", {})
    sets = [c for c in columns if ":" not in c] + [c for c in ("google:semantic", "google:syntactic") if c in columns]
    family_columns = sorted((c for c in columns if c.startswith("google:") and c not in sets),
                            key=lambda c: -sizes.get(c.partition(":")[2], 0))[:families]
    shown = sets + family_columns
    per_row = 4
    rows = max(1, math.ceil(len(shown) / per_row))
    fig = Figure(figsize=(4.0 * per_row, 3.3 * rows), layout="constrained")
    axes = fig.subplots(rows, per_row, squeeze=False).ravel()
    closed = np.array([[np.nan if v is None else v for v in row] for row in rank["closed_form"]], dtype=float)
    for ax, column in zip(axes, shown):
        j = columns.index(column)
        ax.plot(rank["k"], closed[:, j], color="black", lw=1.5, marker=".", ms=3, label="closed form, rank k")
        for name, marker in (("qwem", "o"), ("sgns", "s")):
            if name in rank:
                scores = np.array([[np.nan if v is None else v for v in row] for row in rank[name]["scores"]],
                                  dtype=float).reshape(len(rank[name]["rank"]), len(columns))
                ax.plot(rank[name]["rank"], scores[:, j], ls="none", marker=marker, ms=3.5, alpha=0.7,
                        label=f"{name} at effective rank k")
        ax.set_xlabel("rank k")
        name, _, family = column.partition(":")
        title = SETS_BY_NAME[name].label + (f": {family}" if family else "")
        if family in sizes:
            title += f" ({sizes[family]} questions)"
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("accuracy" if SETS_BY_NAME[name].kind == "analogy" else r"Spearman $\rho$", fontsize=8)
    axes[0].legend(fontsize=7)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    return fig


def write_figures(out_dir: Path, prediction: ClosedForm, trained: dict, initial: np.ndarray, sigma: float,
                  reference: np.ndarray, bases: dict, k: int, scores: dict, labels: dict,
                  method: str = "sgd", sweep: list | None = None, rank: dict | None = None,
                  init_runs: dict | None = None) -> list[str]:
    """Write the dynamics (when QWEM was trained), overlap (paper Fig. 5), scores, corpus-size and rank figures.

    `labels` maps each embedding's name to its display label, in display order; returns the file names.
    """
    out_dir = Path(out_dir)
    figures = []
    if "qwem" in trained:
        figures.append(("realtext_dynamics.png", dynamics_figure(prediction, trained, initial, sigma, method)))
    if init_runs and len(init_runs) > 1:
        figures.append(("realtext_init_scale.png", init_scale_figure(prediction, init_runs)))
    heat = [m for m in ("qwem", "sgns", "word2vec", "pca_ppmi") if m in bases]
    if heat:
        figures.append(("realtext_overlap.png", overlap_figure(reference, bases, k, heat, labels)))
    figures.append(("realtext_scores.png", scores_figure(scores, labels)))
    if sweep and len(sweep) > 1:
        size_labels = {m: label for m, label in labels.items() if any(p["scores"].get(m) for p in sweep)}
        if size_labels:
            figures.append(("realtext_corpus_size.png", size_figure(sweep, size_labels)))
    if rank:
        figures.append(("realtext_rank.png", rank_figure(rank)))
    for name, fig in figures:
        fig.savefig(out_dir / name, dpi=DPI)
    return [name for name, _ in figures]
