"""The report's figures (matplotlib, no pyplot state): staircase, modes, step times, embeddings, overlap, spectrum.

Each `draw_*` function draws onto axes it is given, so the overview figure reuses them; `write_all`
saves every figure as PNG (and SVG on request) into a folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

METHOD_STYLE = {
    "ode": {"color": "tab:blue", "label": "gradient-flow ODE", "ls": "-", "marker": "o"},
    "gd": {"color": "tab:orange", "label": "full-batch GD", "ls": "--", "marker": "s"},
    "sgd": {"color": "tab:green", "label": "pair-sampled SGD", "ls": ":", "marker": "^"},
}
THEORY_STYLE = {"color": "black", "lw": 0.9, "ls": (0, (4, 3))}
DPI = 100


def mode_colors(count: int):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.0, 0.9, max(count, 1))]


def _rescaled(report, times):
    return np.asarray(times) / report.tau1


def _plain_log(axis, lo: float, hi: float) -> None:
    """Log axis with a few round, plainly written ticks (no 3x10^-1 clutter)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    candidates = np.array([a * 10.0 ** e for e in range(-4, 6) for a in (1, 2, 3, 5)])
    ticks = candidates[(candidates >= lo) & (candidates <= hi)]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_locator(NullLocator())


def _time_axis(ax, report):
    """Log-scaled t / tau_1: steps at lam_1 / lam_k are then evenly spread."""
    first = min(0.2, 0.5 * report.predicted_steps[0] / report.tau1)
    last = report.t_end / report.tau1
    ax.set_xscale("log")
    ax.set_xlim(first, last)
    _plain_log(ax.xaxis, first, last)
    ax.set_xlabel(r"rescaled time $t/\tau_1$   ($\tau_1 = \ln(\lambda_1/\sigma^2)/\lambda_1$)")
    for step in report.predicted_steps:
        ax.axvline(step / report.tau1, color="0.85", lw=0.8, zorder=0)


def draw_staircase(ax, report) -> None:
    p = report.prediction
    m = p.learned_modes
    plateaus = p.plateau_losses()
    final = plateaus[m]
    floor = 1e-3 * p.learned_eigenvalues[-1] ** 2 / 4
    for k in range(m):
        level = plateaus[k] - final
        ax.axhline(level, **THEORY_STYLE)
        ax.text(report.t_end / report.tau1, level, f" $L_{k}$", va="center", ha="left", fontsize=8)
    for method, result in report.results.items():
        style = METHOD_STYLE[method]
        keep = result.times > 0
        excess = np.maximum(result.loss[keep] - final, floor)
        ax.plot(_rescaled(report, result.times[keep]), excess, color=style["color"], ls=style["ls"], lw=1.6,
                label=style["label"])
    ax.plot([], [], **THEORY_STYLE, label=r"predicted plateau $L_k - L_m = \frac{1}{4}\sum_{k<j\leq m}\lambda_j^2$")
    _time_axis(ax, report)
    ax.set_yscale("log")
    ax.set_ylim(floor, 3 * (plateaus[0] - final))
    ax.set_ylabel("QWEM loss above its final value")
    ax.set_title("(a) Loss staircase: one drop per learned mode")
    ax.legend(loc="lower left", fontsize=8)


def draw_modes(axes, report, methods=None) -> None:
    p = report.prediction
    lam = p.learned_eigenvalues
    colors = mode_colors(p.learned_modes)
    grid = np.geomspace(1e-3 * report.tau1, report.t_end, 600)
    theory = p.trajectory(grid, report.strengths) / lam
    methods = [m for m in (methods or report.results) if m in report.results]
    for ax, method in zip(axes, methods):
        result = report.results[method]
        sq = result.singular_values[:, : p.learned_modes] ** 2 / lam
        for k in range(p.learned_modes):
            ax.plot(_rescaled(report, result.times[1:]), sq[1:, k], color=colors[k], lw=2.2)
            ax.plot(_rescaled(report, grid), theory[:, k], **THEORY_STYLE, zorder=3)
        _time_axis(ax, report)
        top = float(np.nanmax(sq[1:])) if len(sq) > 1 else 1.0
        ax.set_ylim(-0.03, min(max(1.12, 1.05 * top), 2.0))
        ax.set_ylabel(r"$s_k^2/\lambda_k$")
        ax.set_title(f"(b) {METHOD_STYLE[method]['label']}: modes rise one at a time")
        handles = [Line2D([], [], color=colors[k], lw=1.8, label=f"k = {k + 1}") for k in range(p.learned_modes)]
        handles.append(Line2D([], [], **THEORY_STYLE, label="closed form (QR strengths)"))
        ax.legend(handles=handles, loc="upper left", fontsize=7, ncol=2)


def draw_step_times(ax, report) -> None:
    predicted = report.predicted_steps
    lo, hi = predicted.min() * 0.8, predicted.max() * 1.25
    ax.plot([lo, hi], [lo, hi], **THEORY_STYLE, label="y = x")
    for method, result in report.results.items():
        style = METHOD_STYLE[method]
        measured = result.measured_step_times()
        ok = np.isfinite(measured)
        worst = np.max(np.abs(measured[ok] / predicted[ok] - 1)) if ok.any() else np.nan
        ax.scatter(predicted[ok], measured[ok], color=style["color"], marker=style["marker"], s=36, alpha=0.8,
                   label=f"{style['label']} (max rel. dev. {100 * worst:.2g} %)", zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    _plain_log(ax.xaxis, lo, hi)
    _plain_log(ax.yaxis, lo, hi)
    ax.set_xlabel("predicted step time $t_k$ (QR predictor, flow units)")
    ax.set_ylabel("measured half-height time")
    ax.set_title("(c) Step times: prediction vs simulation")
    ax.legend(loc="upper left", fontsize=8)


def projection(w: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Coordinates of every row of W along the unit vectors W^T v_k / ||W^T v_k|| (V x k)."""
    images = w.T @ directions
    norms = np.linalg.norm(images, axis=0)
    return (w @ images) / np.where(norms > 0, norms, 1.0)


def draw_embeddings(axes, report) -> None:
    p = report.prediction
    directions = p.spectrum.eigenvectors[:, :2]
    clouds = [projection(w, directions) for _, _, w in report.snapshots]
    reach = max(float(np.max(np.abs(c))) for c in clouds) * 1.1 or 1.0
    for ax, (label, t, w), cloud in zip(axes, report.snapshots, clouds):
        singular = np.zeros(2)
        top = np.linalg.svd(w, compute_uv=False)[:2]
        singular[: len(top)] = top
        heights = singular ** 2 / p.eigenvalues[:2]
        ax.scatter(cloud[:, 0], cloud[:, 1], s=7, color="tab:purple", alpha=0.6, lw=0)
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        ax.set_aspect("equal")
        ax.axhline(0, color="0.85", lw=0.6, zorder=0)
        ax.axvline(0, color="0.85", lw=0.6, zorder=0)
        ax.set_title(f"{label}\n$t/\\tau_1$ = {t / report.tau1:.2f}: $s_1^2/\\lambda_1$ = {heights[0]:.2g}, "
                     f"$s_2^2/\\lambda_2$ = {heights[1]:.2g}", fontsize=9)
        ax.set_xlabel(r"along $W^\top v_1$")
    axes[0].set_ylabel(r"along $W^\top v_2$")


def draw_overlap(ax, report) -> None:
    for method, result in report.results.items():
        style = METHOD_STYLE[method]
        keep = result.times > 0
        ax.plot(_rescaled(report, result.times[keep]), result.overlap[keep], color=style["color"], ls=style["ls"],
                lw=1.6, label=f"{style['label']}: top-m subspace")
    align = report.alignment
    ax.scatter(_rescaled(report, align["times"]), align["overlap"], color="black", marker="*", s=60, zorder=4,
               label="ODE, top-k subspace when $s_k^2 = \\lambda_k/100$ (silent alignment)")
    _time_axis(ax, report)
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel(r"overlap $\|V^\top U\|_F^2 / k$ with M*'s top eigenvectors")
    ax.set_title("(e) W aligns with M*'s eigenvectors before each mode grows")
    ax.legend(loc="lower right", fontsize=8)


def draw_spectrum(ax, report) -> None:
    p = report.prediction
    values = np.asarray(report.all_eigenvalues)
    ranks = np.arange(1, len(values) + 1)
    m = p.learned_modes
    colors = mode_colors(m)
    positive = values > 0
    rest = np.arange(len(values)) >= m
    ax.scatter(ranks[rest & positive], values[rest & positive], facecolors="none", edgecolors="0.5", s=18,
               label="positive, not learned (rank > d)")
    ax.scatter(ranks[rest & ~positive], values[rest & ~positive], color="tab:red", s=18,
               label="negative: never learned")
    ax.scatter(ranks[:m], values[:m], color=colors, s=40, zorder=3, edgecolors="black", lw=0.5,
               label=f"learned modes (top d = {p.dim} positive)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("rank (eigenvalues ordered by value)")
    ax.set_ylabel(r"eigenvalue $\lambda$ of M*")
    ax.set_title(f"(f) Spectrum of M* (V = {p.size}): the top d positive are learned")
    ax.legend(loc="upper right", fontsize=8)


def _save(fig: Figure, folder: Path, name: str, svg: bool) -> list:
    paths = [folder / f"{name}.png"]
    fig.savefig(paths[0], dpi=DPI)
    if svg:
        paths.append(folder / f"{name}.svg")
        fig.savefig(paths[1])
    return paths


def _overview(report) -> Figure:
    methods = list(report.results)
    fig = Figure(figsize=(13, 9), layout="constrained")
    axes = fig.subplots(2, 2)
    draw_staircase(axes[0, 0], report)
    draw_modes([axes[0, 1]], report, methods=["ode"] if "ode" in report.results else methods[:1])
    draw_step_times(axes[1, 0], report)
    draw_spectrum(axes[1, 1], report)
    fig.suptitle("How word2vec learns: one eigen-direction of M* at a time (theory vs simulation)", fontsize=13)
    return fig


def _single(draw, size=(9, 5.5)):
    def build(report) -> Figure:
        fig = Figure(figsize=size, layout="constrained")
        draw(fig.subplots(), report)
        return fig

    return build


def _modes(report) -> Figure:
    count = max(len(report.results), 1)
    fig = Figure(figsize=(5.2 * count, 4.6), layout="constrained")
    draw_modes(np.atleast_1d(fig.subplots(1, count)), report)
    return fig


def _embeddings(report) -> Figure:
    count = max(len(report.snapshots), 1)
    fig = Figure(figsize=(4.3 * count, 4.8), layout="constrained")
    draw_embeddings(np.atleast_1d(fig.subplots(1, count)), report)
    fig.suptitle("(d) Word embeddings (ODE) projected on the images of M*'s top two eigenvectors", fontsize=11)
    return fig


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report: its title, its caption in report.md, and the function that draws it."""

    title: str
    caption: str
    build: Callable


# The one list of the report's figures: write_all saves each, report.md embeds each with its caption.
FIGURES = {
    "overview": FigureSpec("Overview: loss staircase, modes of the ODE run, step times, spectrum",
                           "**Overview.** Panels (a), (b) for the ODE, (c) and (f) below, on one page.", _overview),
    "staircase": FigureSpec(
        "Loss staircase: QWEM loss above its final value vs rescaled time, with the predicted plateaus",
        "**(a) Loss staircase.** QWEM loss minus its predicted final value (log scale) against rescaled time t/τ₁ "
        "(log scale, so that steps at λ₁/λ_k are evenly spread). Dashed lines: the predicted plateaus "
        "(1/4) Σ_{k<j≤m} λ_j². Each drop is one mode being learned. SGD sits above the staircase by its stationary "
        "noise (an excess loss proportional to its lr, spread over the directions M* does not reward); the "
        "annealed last phase lowers it.", _single(draw_staircase)),
    "modes": FigureSpec(
        "Singular values s_k^2 / lam_k vs rescaled time, closed-form logistic curves overlaid",
        "**(b) Mode by mode.** s_k²/λ_k for each learned mode (colour) and each simulator (panel), with the "
        "closed-form logistic curves from the QR strengths r_k(0)² (thin black). GD's and SGD's curves sit slightly "
        "to the right: the O(η) Euler delay.", _modes),
    "step_times": FigureSpec("Predicted (QR) vs measured step times for every simulator",
                             "**(c) Step times.** Measured half-height times against the QR prediction, per "
                             "simulator; the line is y = x.", _single(draw_step_times, (6.5, 6))),
    "embeddings": FigureSpec(
        "Embeddings projected on M*'s top directions: a point, then a line, then a plane",
        "**(d) Embeddings grow one direction at a time.** Every word's embedding projected on the directions that "
        "M*'s top two eigenvectors take in embedding space (W^T v_1, W^T v_2), at three moments of the ODE run, on "
        "common axes: a point, then a line, then a plane.", _embeddings),
    "overlap": FigureSpec(
        "Subspace overlap with M*'s top eigenvectors over time, and silent alignment",
        "**(e) Subspace overlap.** ‖V_mᵀ U_m‖²/m between M*'s top-m eigenvectors and W's top-m left singular "
        "vectors, over time, per simulator; markers: the top-k overlap when mode k reaches 1 % of λ_k (silent "
        "alignment).", _single(draw_overlap)),
    "spectrum": FigureSpec(
        "The spectrum of M*, learned modes marked",
        "**(f) Spectrum of M*.** All eigenvalues by rank; learned modes filled, unlearned positive ones hollow, "
        "negatives in red (never learned, however large).", _single(draw_spectrum)),
}


def write_all(report, folder: Path, *, svg: bool = False) -> list:
    """Write every figure of FIGURES into `folder`; return the paths written."""
    written = []
    for name, spec in FIGURES.items():
        written += _save(spec.build(report), Path(folder), name, svg)
    return written
