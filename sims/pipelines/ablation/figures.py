"""The ablation's figures (matplotlib object API, Agg, no pyplot state): singular values over time, overlap against k."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

DPI = 110
SHOWN_MODES = 16  # modes drawn per panel (all are measured): more lines than this stop being readable
STYLES = {"qwem-s31": ("tab:blue", "-", "o"), "sgns-s31": ("tab:green", "-", "s"),
          "qwem-w2v": ("tab:red", "--", "o"), "sgns-w2v": ("tab:orange", "--", "s")}
GRID = (("qwem-s31", "qwem-w2v"), ("sgns-s31", "sgns-w2v"))  # rows: loss; columns: reweighting
EARLIEST = 0.5  # the time axis starts at this fraction of the first step time (before it nothing moves visibly)
TICKS = (0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


def dynamics_figure(ablation, summary: dict) -> Figure:
    """2 x 2: s_k^2 of the top modes against t / tau_1 for each run, the closed-form (QR) step times marked."""
    ref = ablation.reference
    tau1 = float(ref.characteristic_times(ablation.sigma)[0])
    shown = min(SHOWN_MODES, ref.learned_modes)
    colours = colormaps["viridis"](np.linspace(0.0, 0.9, shown))
    fig = Figure(figsize=(12.5, 8.6), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True, sharey=True, squeeze=False)
    predicted = np.asarray(ablation.gd_step_times)[:shown] / tau1
    # word2vec's Psi grows its first mode faster (its linearisation G^ o M* has larger rates): start before either.
    first = float(np.nanmin([predicted[0], float(np.asarray(ablation.linearised_step_times)[0]) / tau1]))
    for row, names in enumerate(GRID):
        for col, name in enumerate(names):
            ax = axes[row][col]
            run = ablation.runs.get(name)
            if run is None:
                ax.set_visible(False)
                continue
            for k in range(shown):
                ax.axvline(predicted[k], color=colours[k], lw=0.7, ls=":", alpha=0.8)
                ax.plot(run.result.times / tau1, run.result.singular_values[:, k] ** 2, color=colours[k], lw=1.5)
            info = summary["runs"][name]
            low = info["min_step_overlap"]
            ax.set_title(f"{run.label}\n{info['completed_steps']}/{ref.learned_modes} steps completed; top-k overlap "
                         f"at step k: min {'n/a' if low is None else f'{low:.2f}'}, "
                         f"late drift {100 * info['late_drift']:.1f} %", fontsize=9.5)
            ax.set_xscale("log")
            low, high = EARLIEST * first, float(run.result.times[-1]) / tau1
            ax.set_xlim(low, high)
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xticks([t for t in TICKS if low <= t <= high], [f"{t:g}" for t in TICKS if low <= t <= high])
            if row == 1:
                ax.set_xlabel(r"flow time $t/\tau_1$ (Setting 3.1 units, log axis)")
            if col == 0:
                ax.set_ylabel(r"squared singular value $s_k^2$")
    handles = [Line2D([], [], color=colours[0], lw=1.5, label=r"$s_k^2(t)$, mode k (colour: k = 1 dark ... "
                                                               f"{shown} light)"),
               Line2D([], [], color="grey", lw=0.8, ls=":", label="closed-form step time of mode k (Setting 3.1: "
                                                                   "QR predictor + GD's Euler delay)")]
    axes[0][0].legend(handles=handles, loc="upper left", fontsize=8)
    fig.suptitle(f"The paper's ablation: the same W(0) (σ = {ablation.sigma:.2g}), V = {ref.size}, d = {ref.dim}; "
                 f"top {shown} modes", fontsize=11)
    return fig


def overlap_figure(summary: dict) -> Figure:
    """Overlap ||V_k^T U_k||^2 / k against k: at the record where the effective rank reaches k, and at the end."""
    fig = Figure(figsize=(12.0, 4.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    m = summary["learned_modes"]
    k = np.arange(1, m + 1)
    for ax, key, title in ((axes[0], "step_overlaps", "when the effective rank first reaches k"),
                           (axes[1], "final_overlaps", "at the end of training")):
        for name, info in summary["runs"].items():
            colour, style, marker = STYLES[name]
            values = np.array([np.nan if v is None else v for v in info[key]], dtype=float)
            ax.plot(k, values, color=colour, ls=style, marker=marker, ms=3.5, lw=1.3, label=info["label"])
        ax.axhline(summary["overlap_threshold"], color="black", lw=0.9, ls="-.",
                   label=f"threshold {summary['overlap_threshold']:.2f} (theory/tolerances.py: ablation_overlap)")
        ax.plot(k, k / summary["vocab"], color="grey", lw=0.9, ls=":", label="chance, k/V")
        ax.set_xlabel("k (top-k directions)")
        ax.set_title(f"overlap with M*'s top-k eigenvectors {title}", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel(r"$\|V_k^\top U_k\|_F^2 / k$")
    axes[0].legend(fontsize=7.5, loc="lower left")
    return fig


def write_figures(out_dir: Path, ablation, summary: dict, svg: bool = False) -> list[str]:
    """Write ablation_dynamics.png (2 x 2) and ablation_overlap.png (and SVGs with `svg`); returns the file names."""
    out_dir = Path(out_dir)
    names = []
    for stem, fig in (("ablation_dynamics", dynamics_figure(ablation, summary)),
                      ("ablation_overlap", overlap_figure(summary))):
        for suffix in ((".png", ".svg") if svg else (".png",)):
            fig.savefig(out_dir / f"{stem}{suffix}", dpi=DPI)
            names.append(f"{stem}{suffix}")
    return names
