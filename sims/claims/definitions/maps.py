"""Claims about the validity maps themselves (sims/maps): the GD map's boundary, parallel = serial, resumed = uninterrupted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.claims.registry import Measurement, register, require

__all__ = ["MapPair", "boundary_offsets"]


@dataclass
class MapPair:
    """Two finished maps (sims.maps.MapResult) of the same map and grid, computed two ways."""

    first: object
    second: object
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"MapPair({self.first.spec.id})"


def _index(values, scale: str, x) -> float:
    """Position of x on the grid in cell units (log axes in log units), extrapolated linearly past the ends."""
    t = np.log(np.asarray(values, float)) if scale == "log" else np.asarray(values, float)
    u = np.log(x) if scale == "log" else float(x)
    if len(t) == 1:
        return 0.0
    i = int(np.clip(np.searchsorted(t, u) - 1, 0, len(t) - 2))
    return i + (u - t[i]) / (t[i + 1] - t[i])


def boundary_offsets(result) -> np.ndarray:
    """Per row of the GD map, the distance (in cells) from the predicted critical eta lam_1 to the measured bracket
    [last converging column, first non-converging column]; 0 when the prediction lies inside it."""
    from theory.boundaries import gd_critical_eta_lambda1

    xs, scale = np.asarray(result.x, float), result.spec.parameters[0].scale
    classes = result.class_per_cell()[0]
    offsets = []
    for row, ratio in enumerate(result.y):
        converges = classes[row] == "converges"
        first_not = int(np.argmin(converges)) if not converges.all() else len(xs)
        require(not converges[first_not:].any(), f"at lam_min / lam_1 = {ratio:g} GD converges only below a threshold",
                measured=list(classes[row]))
        lo, hi = first_not - 1, first_not   # bracket in cell indices (-1 / len: off the grid)
        predicted = _index(xs, scale, float(gd_critical_eta_lambda1(ratio)))
        offsets.append(max(0.0, lo - predicted, predicted - hi))
    return np.asarray(offsets)


@register("MAP-GD-BOUNDARY", "the GD map's measured convergence boundary lies on the predicted lines eta lam_1 = 2 "
                             "and eta (lam_1 - lam_min) / 2 = 2 within one grid cell, in every row",
          source="THEORY §4 and §8 (GD stability limit), as charted by sims/maps", tolerance="map_grid_cell", section=8)
def gd_map_boundary(result) -> Measurement:
    offsets = boundary_offsets(result)
    return Measurement(float(np.max(offsets)), predicted=0.0, measured=offsets,
                       what="max over rows of the distance (cells) from the predicted limit to the measured bracket")


def _differences(pair: MapPair) -> Measurement:
    from sims.maps.result import differing_cells

    differ = differing_cells(pair.first, pair.second)
    return Measurement(float(len(differ)), predicted=0, measured=differ[:5],
                       what=f"cells (of {len(pair.first.records)}) whose records differ")


@register("MAP-PARALLEL", "a map computed on a 2-worker Dask LocalCluster equals the same map computed in one "
                          "process, cell for cell (seeds derive from the map seed and the cell's parameter values)",
          source="sims/maps (seeding by cell coordinates)", tolerance="exact_count", section=8)
def map_parallel(pair: MapPair) -> Measurement:
    return _differences(pair)


@register("MAP-RESUME", "a map interrupted and resumed from its cell store equals the same map run without "
                        "interruption, cell for cell",
          source="sims/maps (append-only cell store)", tolerance="exact_count", section=8)
def map_resume(pair: MapPair) -> Measurement:
    return _differences(pair)
