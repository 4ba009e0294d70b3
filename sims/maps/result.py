"""A finished map: its records arranged on the grid, aggregated over seeds, and written as JSON and NPZ."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sims.io import json_text
from sims.maps.cells import COMPARED_FIELDS

__all__ = ["MapResult", "differing_cells", "STATUSES"]

STATUSES = ("pass", "fail", "not applicable")


@dataclass
class MapResult:
    """The records of one map over `grid` (plan order), with the seeds and map seed that produced them."""

    spec: object
    grid: dict
    seeds: int
    map_seed: int
    records: list
    timing: dict = field(default_factory=dict)

    @property
    def panels(self) -> tuple:
        return tuple(self.grid[self.spec.panel.name]) if self.spec.panel is not None else (None,)

    @property
    def x(self) -> tuple:
        return tuple(self.grid[self.spec.names[0]])

    @property
    def y(self) -> tuple:
        return tuple(self.grid[self.spec.names[1]]) if len(self.spec.names) == 2 else (None,)

    @property
    def shape(self) -> tuple:
        """(panels, rows = second parameter, columns = first parameter, seeds)."""
        return (len(self.panels), len(self.y), len(self.x), int(self.seeds))

    def cube(self, name: str) -> np.ndarray:
        """One record field on the grid, shape `shape` (object array: numbers, strings or None)."""
        cube = np.empty(len(self.records), dtype=object)
        cube[:] = [record.get(name) for record in self.records]
        return cube.reshape(self.shape)

    def numbers(self, name: str) -> np.ndarray:
        """A numeric field as float, None -> NaN."""
        return np.array([np.nan if v is None else float(v) for v in self.cube(name).ravel()]).reshape(self.shape)

    def classes(self) -> tuple:
        """Every class seen, the spec's declared order first."""
        seen = {r["class"] for r in self.records if r.get("class")}
        return tuple(c for c in self.spec.classes if c in seen) + tuple(sorted(seen - set(self.spec.classes)))

    def status_per_cell(self) -> np.ndarray:
        """One status per cell over its seeds: fail if any seed fails, else pass if any passes (P x Y x X)."""
        cube = self.cube("status")
        out = np.full(cube.shape[:3], "not applicable", dtype=object)
        out[np.any(cube == "pass", axis=3)] = "pass"
        out[np.any(cube == "fail", axis=3)] = "fail"
        return out

    def class_per_cell(self) -> np.ndarray:
        """The most frequent class of each cell over its seeds (ties: the spec's order)."""
        cube, order = self.cube("class"), self.classes()
        out = np.full(cube.shape[:3], None, dtype=object)
        for index in np.ndindex(*cube.shape[:3]):
            counts = Counter(c for c in cube[index] if c)
            if counts:
                out[index] = max(counts, key=lambda c: (counts[c], -order.index(c)))
        return out

    def shown(self) -> np.ndarray:
        """The number each cell is coloured by: worst ratio (max over seeds) or the median value."""
        if self.spec.colour == "ratio":
            data = self.numbers("ratio")
            return np.where(np.all(np.isnan(data), axis=3), np.nan, np.nanmax(np.nan_to_num(data, nan=-np.inf), axis=3))
        data = self.numbers("value")
        with np.errstate(all="ignore"):
            return np.array([np.nan if np.all(np.isnan(v)) else np.nanmedian(v)
                             for v in data.reshape(-1, data.shape[3])]).reshape(data.shape[:3])

    def payload(self) -> dict:
        """The JSON document: map, claim, grid, settings, seeds, every cell record and the per-cell summaries."""
        from sims.claims.registry import get

        claim = get(self.spec.claim)
        return {
            "map": self.spec.id, "title": self.spec.title, "claim": claim.id, "kind": claim.kind,
            "statement": claim.statement, "source": claim.source, "tolerance": claim.tolerance,
            "parameters": [{"name": p.name, "label": p.label, "scale": p.scale, "values": list(self.grid[p.name])}
                           for p in self.spec.parameters],
            "panel": None if self.spec.panel is None else {"name": self.spec.panel.name,
                                                           "values": list(self.panels)},
            "settings": self.spec.settings, "seeds": int(self.seeds), "map_seed": int(self.map_seed),
            "colour": self.spec.colour, "value_label": self.spec.value_label, "classes": list(self.classes()),
            "summary": {"status": self.status_per_cell().tolist(), "class": self.class_per_cell().tolist(),
                        "shown": self.shown()},
            "status_counts": dict(Counter(r["status"] for r in self.records)),
            "class_counts": dict(Counter(r["class"] for r in self.records if r.get("class"))),
            "timing": self.timing, "cells": self.records,
        }

    def arrays(self) -> dict:
        """Plain numeric and unicode arrays for the .npz (no object arrays, so no pickles)."""
        classes = self.classes()
        codes = {c: i for i, c in enumerate(classes)}
        arrays = {f"param_{p.name}": np.asarray(self.grid[p.name], dtype=float) for p in self.spec.parameters}
        arrays.update(
            ratio=self.numbers("ratio"), value=self.numbers("value"), error=self.numbers("error"),
            seed=self.numbers("seed").astype(np.int64),
            status=np.vectorize(STATUSES.index, otypes=[np.int8])(self.cube("status")),
            status_names=np.array(STATUSES),
            class_code=np.vectorize(lambda c: codes.get(c, -1), otypes=[np.int16])(self.cube("class")),
            class_names=np.array(classes if classes else ("",)), shown=self.shown(),
            panels=np.array([str(p) for p in self.panels]))
        return arrays

    def write(self, folder) -> list:
        """MAP_ID.json, MAP_ID.npz and MAP_ID.png into `folder`; returns the paths."""
        from sims.maps.figure import map_figure

        paths = [folder / f"{self.spec.id}.{ext}" for ext in ("json", "npz", "png")]
        paths[0].write_text(json_text(self.payload()))
        np.savez(paths[1], **self.arrays())
        map_figure(self).savefig(paths[2], dpi=110)
        return paths


def differing_cells(first: MapResult, second: MapResult) -> list:
    """Keys of the cells (and seeds) where two maps' records differ in any compared field."""
    def table(result):
        return {r["key"]: tuple(repr(r.get(f)) for f in COMPARED_FIELDS) for r in result.records}

    a, b = table(first), table(second)
    return sorted(key for key in set(a) | set(b) if a.get(key) != b.get(key))
