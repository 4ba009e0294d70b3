"""The declaration of a validity map: which registered claim it sweeps, over which parameters, and how to draw it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Parameter", "Panel", "Boundary", "MapSpec", "COLOURINGS"]

COLOURINGS = ("ratio", "value", "class")


@dataclass(frozen=True)
class Parameter:
    """One swept axis: its name on the command line, axis label, default grid, scale and valid range."""

    name: str
    label: str
    default: tuple
    scale: str = "linear"          # "linear" or "log" (axis and lo:hi:nlog grids)
    integer: bool = False
    minimum: float = -math.inf     # inclusive bounds of a valid value
    maximum: float = math.inf


@dataclass(frozen=True)
class Panel:
    """A categorical setting drawn as side-by-side panels (e.g. SGD's sampler), each value one sub-map."""

    name: str
    label: str
    values: tuple


@dataclass(frozen=True)
class Boundary:
    """A predicted boundary curve: `points(context)` returns (x, y) in axis units; context has "x", "y" ranges,
    "panel" (the panel's value or None) and the map's "settings"."""

    label: str
    points: Callable[[dict], tuple]
    style: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MapSpec:
    """A map of one registered claim or conjecture over one or two parameters.

    `case_factory(params, seed)` builds the claim's case for one cell (params: parameter and panel values by
    name); `classify(case, outcome)` names what happened there (e.g. "diverged", "period-2", "steps merged");
    `beyond(case)` measures the claim's quantity where its hypotheses fail (default: the claim's own measure);
    `value(case, outcome)` is the number drawn when `colour` is "value". `settings` are the fixed choices of
    the problem family, recorded in every output and in each cell's store key (with `version`).
    """

    id: str
    claim: str
    title: str
    parameters: tuple
    case_factory: Callable[[dict, int], Any]
    classify: Callable | None = None
    boundaries: tuple = ()
    seeds: int = 1
    colour: str = "ratio"
    value: Callable | None = None
    value_label: str = ""
    value_norm: tuple = ("log", None, None)   # ("log" | "linear" | "centred", vmin, vmax)
    classes: tuple = ()
    class_colours: tuple = ()
    beyond: Callable | None = None
    panel: Panel | None = None
    settings: dict = field(default_factory=dict)
    version: int = 1

    def __post_init__(self):
        if not 1 <= len(self.parameters) <= 2:
            raise ValueError(f"map {self.id}: one or two parameters, got {len(self.parameters)}")
        if self.colour not in COLOURINGS:
            raise ValueError(f"map {self.id}: colour must be one of {COLOURINGS}, got {self.colour!r}")
        if self.colour == "value" and self.value is None:
            raise ValueError(f"map {self.id}: colour 'value' needs a value function")

    @property
    def module(self) -> str:
        """The module that defines the case factory: workers import it to find this map."""
        return self.case_factory.__module__

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    @property
    def names(self) -> tuple:
        return tuple(p.name for p in self.parameters)
