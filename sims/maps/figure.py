"""The heatmap of a finished map (matplotlib's object API, no pyplot): one panel per panel value, boundaries drawn."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["map_figure", "cell_edges"]

BOUNDARY_STYLE = {"color": "black", "lw": 2.0, "ls": "--"}
BOUNDARY_CYCLE = ("--", ":", "-.", (0, (5, 1, 1, 1)))
FAIL_MARK = {"marker": "x", "color": "black", "s": 22, "linewidths": 1.0}
NA_MARK = {"marker": "o", "facecolors": "none", "edgecolors": "0.25", "s": 14, "linewidths": 0.7}
RATIO_RANGE = 4.0   # log10 limits of the ratio colour scale


def cell_edges(values, scale: str) -> np.ndarray:
    """Edges around each grid value: midpoints (geometric on a log axis), ends mirrored; one value gets a x2 / +-0.5 cell."""
    v = np.asarray(values, dtype=float)
    t = np.log10(v) if scale == "log" else v
    if len(t) == 1:
        half = np.log10(2.0) if scale == "log" else max(0.5, 0.1 * abs(t[0]))
        edges = np.array([t[0] - half, t[0] + half])
    else:
        mid = 0.5 * (t[1:] + t[:-1])
        edges = np.concatenate([[t[0] - (mid[0] - t[0])], mid, [t[-1] + (t[-1] - mid[-1])]])
    return 10.0 ** edges if scale == "log" else edges


def _norm_and_map(result, data):
    from matplotlib import colormaps, colors

    spec = result.spec
    if spec.colour == "class":
        names = result.classes()
        palette = dict(zip(spec.classes, spec.class_colours))
        fallback = iter(colormaps["tab10"].colors)
        cmap = colors.ListedColormap([palette.get(c) or next(fallback) for c in names] or ["0.8"])
        return colors.BoundaryNorm(np.arange(len(names) + 1) - 0.5, max(len(names), 1)), cmap
    if spec.colour == "ratio":
        finite = data[np.isfinite(data)]
        lo = max(-RATIO_RANGE, min(-1.0, np.floor(finite.min()) if finite.size else -1.0))
        hi = min(RATIO_RANGE, max(1.0, np.ceil(finite.max()) if finite.size else 1.0))
        return colors.TwoSlopeNorm(vmin=lo, vcenter=0.0, vmax=hi), colormaps["RdBu_r"]
    kind, lo, hi = spec.value_norm
    finite = data[np.isfinite(data)]
    if kind == "log":
        positive = finite[finite > 0]
        lo = lo or (positive.min() if positive.size else 1e-3)
        hi = hi or (positive.max() if positive.size else 1.0)
        return colors.LogNorm(vmin=lo, vmax=max(hi, lo * 1.01)), colormaps["viridis"]
    if kind == "centred":
        return colors.TwoSlopeNorm(vmin=lo, vcenter=0.0, vmax=hi), colormaps["RdBu"]
    lo = finite.min() if lo is None and finite.size else (0.0 if lo is None else lo)
    hi = finite.max() if hi is None and finite.size else (1.0 if hi is None else hi)
    return colors.Normalize(vmin=lo, vmax=max(hi, lo + 1e-12)), colormaps["viridis"]


def _cell_data(result) -> np.ndarray:
    if result.spec.colour == "class":
        names = result.classes()
        cells = result.class_per_cell()
        return np.vectorize(lambda c: names.index(c) if c in names else np.nan, otypes=[float])(cells)
    shown = result.shown()
    if result.spec.colour == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.clip(np.log10(shown), -RATIO_RANGE, RATIO_RANGE)
    return shown


def _draw_boundaries(ax, result, panel, xlim, ylim) -> list:
    handles = []
    context = {"x": xlim, "y": ylim, "panel": panel, "settings": result.spec.settings}
    for i, boundary in enumerate(result.spec.boundaries):
        x, y = boundary.points(context)
        style = {**BOUNDARY_STYLE, "ls": BOUNDARY_CYCLE[i % len(BOUNDARY_CYCLE)], **boundary.style}
        ax.plot(x, y, **style)
        handles.append(Line2D([], [], label=boundary.label, **style))
    return handles


def _draw_panel(ax, result, index, norm, cmap, data):
    spec = result.spec
    xp = spec.parameters[0]
    xe = cell_edges(result.x, xp.scale)
    two = len(spec.parameters) == 2
    ye = cell_edges(result.y, spec.parameters[1].scale) if two else np.array([0.0, 1.0])
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(data[index]), norm=norm, cmap=cmap.with_extremes(bad="0.85"),
                         shading="flat")
    xc, yc = np.meshgrid(result.x, result.y if two else [0.5])
    status = result.status_per_cell()[index]
    ax.scatter(xc[status == "fail"], yc[status == "fail"], **FAIL_MARK)
    ax.scatter(xc[status == "not applicable"], yc[status == "not applicable"], **NA_MARK)
    ax.set_xscale(xp.scale)
    ax.set_xlabel(xp.label)
    if two:
        ax.set_yscale(spec.parameters[1].scale)
        ax.set_ylabel(spec.parameters[1].label)
    else:
        ax.set_yticks([])
    handles = _draw_boundaries(ax, result, result.panels[index], (xe[0], xe[-1]), (ye[0], ye[-1]))
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    if spec.panel is not None:
        ax.set_title(f"{spec.panel.label} = {result.panels[index]}", fontsize=10)
    return mesh, handles


def _colourbar(fig, mesh, axes, result) -> None:
    spec = result.spec
    if spec.colour == "class":
        names = result.classes()
        bar = fig.colorbar(mesh, ax=axes, ticks=np.arange(len(names)), shrink=0.9)
        bar.ax.set_yticklabels(names)
        bar.set_label("outcome (most frequent over seeds)")
        return
    if spec.colour == "ratio":
        bar = fig.colorbar(mesh, ax=axes, shrink=0.9)
        lo, hi = mesh.norm.vmin, mesh.norm.vmax
        ticks = np.arange(np.ceil(lo), np.floor(hi) + 1)
        bar.set_ticks(ticks, labels=[f"{10.0 ** t:g}" for t in ticks])
        bar.set_label("error / tolerance (worst seed; > 1 fails)")
        return
    bar = fig.colorbar(mesh, ax=axes, shrink=0.9)
    bar.set_label(spec.value_label)


def _title(result, width: int) -> str:
    from sims.claims.registry import get

    claim = get(result.spec.claim)
    statement = textwrap.shorten(claim.statement, 2 * width, placeholder=" ...")
    body = "\n".join(textwrap.wrap(f"{claim.kind} {claim.id}: {statement}", width))
    return (f"{result.spec.id}: {result.spec.title}\n{body}\n"
            f"{result.seeds} seed(s) per cell, map seed {result.map_seed}")


def map_figure(result) -> Figure:
    """The map's heatmap: colour = ratio, value or class; x marks a failing cell, o one outside the hypotheses."""
    count = len(result.panels)
    two = len(result.spec.parameters) == 2
    fig = Figure(figsize=(6.2 * count + 2.2, 6.2 if two else 4.0), layout="constrained")
    axes = fig.subplots(1, count, squeeze=False)[0]
    data = _cell_data(result)
    norm, cmap = _norm_and_map(result, data)
    handles = []
    for index, ax in enumerate(axes):
        mesh, handles = _draw_panel(ax, result, index, norm, cmap, data)
    _colourbar(fig, mesh, list(axes), result)
    handles += [Line2D([], [], ls="", label="claim fails", **{k: v for k, v in
                                                              {"marker": "x", "color": "black"}.items()}),
                Line2D([], [], ls="", marker="o", markerfacecolor="none", markeredgecolor="0.25",
                       label="outside the claim's hypotheses (measured anyway)")]
    width = fig.get_figwidth()
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if count == 1 else 3, fontsize=8, frameon=False)
    fig.suptitle(_title(result, int(13 * width)), fontsize=9)
    return fig
