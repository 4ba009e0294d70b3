"""Parse and validate a map's grid from `PARAM=v1,v2,...` or `PARAM=lo:hi:n[log]` items (InputError on bad input)."""

from __future__ import annotations

import math

import numpy as np

from sims.maps.spec import MapSpec, Parameter
from theory.validation import InputError

__all__ = ["parse_grid", "parse_values", "default_grid", "canonical"]


def canonical(value) -> str:
    """A parameter value as it enters store keys and seeds: 12 significant digits, or the string itself."""
    return value if isinstance(value, str) else f"{float(value):.12g}"


def default_grid(spec: MapSpec) -> dict:
    """Every parameter's default values (and the panel's), by name."""
    grid = {p.name: tuple(p.default) for p in spec.parameters}
    if spec.panel is not None:
        grid[spec.panel.name] = tuple(spec.panel.values)
    return grid


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--grid {name}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"--grid {name}: {text!r} is not finite")
    return value


def _range(param: Parameter, text: str) -> list:
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError(f"--grid {param.name}: a range is lo:hi:n or lo:hi:nlog, got {text!r}")
    lo, hi = _number(parts[0], param.name), _number(parts[1], param.name)
    count, log = parts[2].strip(), parts[2].strip().endswith("log")
    count = count[:-3] if log else count
    if not count.isdigit() or int(count) < 1:
        raise InputError(f"--grid {param.name}: the point count in {text!r} must be an integer >= 1")
    n = int(count)
    if log:
        if lo <= 0 or hi <= 0:
            raise InputError(f"--grid {param.name}: a log range needs lo, hi > 0, got {text!r}")
        return list(np.geomspace(lo, hi, n)) if n > 1 else [lo]
    return list(np.linspace(lo, hi, n)) if n > 1 else [lo]


def _checked(param: Parameter, values: list) -> tuple:
    if param.integer:  # ranges of an integer parameter are rounded (explicit lists are checked before)
        values = [int(round(v)) for v in values]
    bad = [v for v in values if not param.minimum <= v <= param.maximum]
    if bad:
        raise InputError(f"--grid {param.name}: {canonical(bad[0])} is outside [{canonical(param.minimum)}, "
                         f"{canonical(param.maximum)}]")
    return tuple(sorted(set(values if param.integer else (float(v) for v in values))))


def parse_values(param: Parameter, text: str) -> tuple:
    """The sorted, distinct values of one --grid item's right-hand side."""
    text = text.strip()
    if not text:
        raise InputError(f"--grid {param.name}: no values given")
    if ":" in text:
        return _checked(param, _range(param, text))
    items = [item.strip() for item in text.split(",")]
    if any(not item for item in items):
        raise InputError(f"--grid {param.name}: empty value in {text!r}")
    values = [_number(item, param.name) for item in items]
    if param.integer and any(v != round(v) for v in values):
        raise InputError(f"--grid {param.name}: values must be integers, got {text!r}")
    return _checked(param, values)


def _panel_values(spec: MapSpec, text: str) -> tuple:
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    unknown = [item for item in items if item not in spec.panel.values]
    if not items or unknown:
        raise InputError(f"--grid {spec.panel.name}: choose from {', '.join(spec.panel.values)}, got {text!r}")
    return tuple(v for v in spec.panel.values if v in items)


def parse_grid(spec: MapSpec, items) -> dict:
    """The map's grid: its defaults, replaced by each `NAME=VALUES` item (each name at most once)."""
    grid = default_grid(spec)
    seen = set()
    for item in items or ():
        name, sep, text = str(item).partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--grid expects PARAM=v1,v2,... or PARAM=lo:hi:n[log], got {item!r}")
        if name not in grid:
            raise InputError(f"map {spec.id} has no parameter {name!r} (its parameters: {', '.join(grid)})")
        if name in seen:
            raise InputError(f"--grid {name} is given twice")
        seen.add(name)
        if spec.panel is not None and name == spec.panel.name:
            grid[name] = _panel_values(spec, text)
        else:
            grid[name] = parse_values(spec.parameter(name), text)
    return grid
