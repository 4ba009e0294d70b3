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


NPY_MAGIC = b"\x93NUMPY"


def _kind(path: Path) -> str | None:
    """What is at `path` when it is not a regular file ("a folder", "not a regular file (...)"), else None."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a .npy file"
    if not stat.S_ISREG(mode):
        kind = ("a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
                else "a pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        return f"is {kind}, not a .npy file"
    return None


def one_line(text) -> str:
    """`text` on one line (numpy's and the OS's messages may hold newlines), at most 300 characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= 300 else line[:297] + "..."


def load_npy(path, what: str) -> np.ndarray:
    """Load a numeric .npy array without ever unpickling; any problem becomes a one-line InputError."""
    path = Path(path)
    shown = one_line(repr(str(path)))
    if path.suffix != ".npy":
        raise InputError(f"{what} {shown} is not a .npy file (the name must end in .npy)")
    problem = _kind(path)
    if problem:
        raise InputError(f"{what} {shown} {problem}")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(NPY_MAGIC))
    except OSError as exc:
        raise InputError(f"{what} {shown} cannot be read ({exc.strerror or exc})") from None
    if head[:1] == b"\x80":  # a pickle's PROTO opcode: pickled data is never loaded
        raise InputError(f"{what} {shown} holds pickled data, which is never loaded (save it with np.save)")
    if head != NPY_MAGIC:
        raise InputError(f"{what} {shown} is not a NumPy .npy file (no .npy header"
                         + ("; it is empty)" if not head else ")"))
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        # numpy says "...allow_pickle=False" for object arrays (pickled payloads behind a valid header).
        reason = ("holds an object array (pickled data), which is never loaded" if "pickle" in str(exc)
                  else f"is not a valid .npy file ({one_line(exc)})")
        raise InputError(f"{what} {shown} {reason}") from None
    except (OSError, EOFError, MemoryError, OverflowError, TypeError) as exc:
        raise InputError(f"{what} {shown} cannot be read as .npy ({one_line(exc) or type(exc).__name__})") from None
    if not isinstance(array, np.ndarray):
        raise InputError(f"{what} {shown} is not a single array")
    return array


def _exists(path: Path) -> bool:
    """Path.exists() that treats an unusable name (too long, ...) as a one-line InputError."""
    try:
        return path.exists()
    except (OSError, ValueError) as exc:
        raise InputError(f"path {one_line(repr(str(path)))} cannot be used ({one_line(exc)})") from None


def check_output_dir(out, replace_marker: str | None = None) -> Path:
    """Fail early (before any work) if `out` cannot become a folder we can write into.

    Writability is tried, not inferred from permission bits (root passes os.access everywhere, yet
    cannot create folders under /proc or /sys): a scratch folder is made and removed in the nearest
    existing ancestor. With `replace_marker`, a non-empty `out` must hold an earlier output (that file).
    """
    if out is None or str(out).strip() == "":
        raise InputError("output folder must not be empty")
    out = Path(os.path.normpath(out))  # "a/../b" is "b": no folder is made on the way to a "..".
    if _exists(out) and not out.is_dir():
        raise InputError(f"output path {one_line(repr(str(out)))} exists and is not a folder")
    ancestor = out if out.exists() else next((p for p in out.parents if _exists(p)), Path("."))
    if not ancestor.is_dir():
        raise InputError(f"output folder {one_line(repr(str(out)))} cannot be created: "
                         f"{one_line(repr(str(ancestor)))} is not a folder")
    try:
        shutil.rmtree(tempfile.mkdtemp(prefix=".w2v-write-check-", dir=ancestor))
    except OSError as exc:
        raise InputError(f"output folder {one_line(repr(str(out)))} is not writable ({exc.strerror or exc})") from None
    try:
        name_max = os.pathconf(ancestor, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    # The run stages into ".<name>.staging-XXXXXXXX" beside `out`: every new name must fit the file system.
    for part in [out.name, *(p.name for p in out.parents if not _exists(p))]:
        if len(part.encode("utf-8", "surrogateescape")) + 24 > name_max:
            raise InputError(f"output folder name {one_line(repr(part))} is too long for the file system "
                             f"(at most {name_max - 24} bytes here)")
    if replace_marker is not None and out.is_dir() and any(out.iterdir()) and not (out / replace_marker).is_file():
        raise InputError(f"output folder {one_line(repr(str(out)))} is not empty and holds no earlier output ({replace_marker}): "
                         "choose another --out")
    return out


def check_output_file(path, suffix: str | None = None) -> Path:
    """Fail early if `path` cannot become a file we write (e.g. count's FILE.npz): the suffix, not a folder,
    and its folder creatable and writable (tried, as check_output_dir does)."""
    if path is None or str(path).strip() == "":
        raise InputError("output file must not be empty")
    path = Path(os.path.normpath(path))
    if suffix is not None and path.suffix != suffix:
        raise InputError(f"output file {one_line(repr(str(path)))} must end in {suffix}")
    if _exists(path) and path.is_dir():
        raise InputError(f"output file {one_line(repr(str(path)))} is a folder")
    check_output_dir(path.parent if str(path.parent) else Path("."))
    return path


def _created_parents(folder: Path) -> list[Path]:
    """The ancestors of `folder` that do not exist yet, innermost first (removed again on failure)."""
    return [p for p in [folder, *folder.parents] if not p.exists()]


def _clear_for_replacement(out: Path, marker: str) -> None:
    """Empty `out` before a whole-folder replacement, but only if it is an earlier output (holds `marker`)."""
    if not out.exists() or not any(out.iterdir()):
        return
    check_output_dir(out, marker)  # still an earlier output: nothing else may be deleted
    for item in out.iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()


@contextlib.contextmanager
def staged_output(out, *, replace_marker: str | None = None):
    """Yield a staging folder; on success move its files into `out`, on any error delete it.

    A failed or interrupted run (exceptions, Ctrl-C, SIGTERM through the CLI's handler) leaves `out` as
    it was: never half-written, and parent folders created for the run are removed again. With
    `replace_marker` (e.g. "summary.json") an earlier output in `out` is replaced as a whole, so no stale
    file survives beside the new ones; a non-empty folder without that marker is refused.
    """
    out = check_output_dir(out, replace_marker)
    parent = out.parent if out.parent != Path("") else Path(".")
    created = _created_parents(parent)
    staging = None
    succeeded = False
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent))
        yield staging
        if replace_marker is not None:
            _clear_for_replacement(out, replace_marker)
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(staging.iterdir()):
            target = out / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
        succeeded = True
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if not succeeded:
            for folder in created:  # innermost first; only folders this run made, and only if still empty
                with contextlib.suppress(OSError):
                    folder.rmdir()


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
