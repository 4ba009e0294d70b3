"""Safe input loading (no pickles) and all-or-nothing output folders for every command."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from theory.validation import InputError


def load_npy(path, what: str) -> np.ndarray:
    """Load a numeric .npy array without ever unpickling; any problem becomes a one-line InputError."""
    path = Path(path)
    if path.suffix != ".npy":
        raise InputError(f"{what} {str(path)!r} is not a .npy file")
    if not path.is_file():
        raise InputError(f"{what} {str(path)!r} does not exist")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        # numpy says "...allow_pickle=False" for pickled files and object arrays alike.
        reason = "holds pickled data or an object array" if "pickle" in str(exc) else f"is not a valid .npy file ({exc})"
        raise InputError(f"{what} {str(path)!r} {reason}") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{what} {str(path)!r} cannot be read: {exc}") from None
    if not isinstance(array, np.ndarray):
        raise InputError(f"{what} {str(path)!r} is not a single array")
    return array


def check_output_dir(out) -> Path:
    """Fail early (before any work) if `out` cannot become a folder we can write into."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {str(out)!r} exists and is not a folder")
    parent = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise InputError(f"output folder {str(out)!r} is not writable")
    return out


@contextlib.contextmanager
def staged_output(out):
    """Yield a staging folder; on success move its files into `out`, on any error delete it.

    A failed or interrupted run therefore leaves `out` as it was: never half-written.
    """
    out = check_output_dir(out)
    parent = out.parent if out.parent != Path("") else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent))
    try:
        yield staging
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(staging.iterdir()):
            target = out / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def json_ready(value):
    """`value` with numpy arrays and scalars turned into JSON types; NaN and inf become None (null)."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def json_text(payload: dict) -> str:
    """One indented JSON document (strict: no NaN literals), newline-terminated."""
    return json.dumps(json_ready(payload), indent=2, allow_nan=False) + "\n"
