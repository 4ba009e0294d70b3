"""Validity maps (THEORY §8): sweep a registered claim over one or two parameters, on Dask or in-process, and draw it."""

from sims.maps.registry import MAPS, all_maps, get_map, load_all, register_map
from sims.maps.result import MapResult, differing_cells
from sims.maps.run import run_map
from sims.maps.spec import Boundary, MapSpec, Panel, Parameter

__all__ = ["MAPS", "Boundary", "MapResult", "MapSpec", "Panel", "Parameter", "all_maps", "differing_cells",
           "get_map", "load_all", "register_map", "run_map"]
