"""The registry of validity maps: `register_map(MapSpec(...))` once per map, looked up by id by the command and workers."""

from __future__ import annotations

import importlib

from sims.maps.spec import MapSpec
from theory.validation import InputError

__all__ = ["MAPS", "register_map", "get_map", "all_maps", "load_all", "load_spec"]

MAPS: dict[str, MapSpec] = {}
SHIPPED = "sims.maps.shipped"


def register_map(spec: MapSpec) -> MapSpec:
    """Add `spec` to the registry (ids are unique; the claim it sweeps must be registered)."""
    from sims.claims.registry import get

    if spec.id in MAPS and MAPS[spec.id] is not spec:
        raise ValueError(f"map id {spec.id!r} is registered twice")
    get(spec.claim)
    MAPS[spec.id] = spec
    return spec


def load_all() -> None:
    """Import the shipped maps (idempotent)."""
    importlib.import_module(SHIPPED)


def get_map(map_id: str) -> MapSpec:
    """The registered map `map_id` (InputError naming the known ids)."""
    load_all()
    try:
        return MAPS[map_id]
    except KeyError:
        raise InputError(f"no map {map_id!r}; known: {', '.join(sorted(MAPS))}") from None


def all_maps() -> list:
    """Every registered map, in registration order."""
    load_all()
    return list(MAPS.values())


def load_spec(module: str, map_id: str) -> MapSpec:
    """What a worker does: import the module that registers `map_id`, then look it up."""
    importlib.import_module(module)
    return get_map(map_id)
