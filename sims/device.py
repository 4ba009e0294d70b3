"""Torch device and dtype selection for the simulators: one place that turns user strings into torch objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.validation import InputError

if TYPE_CHECKING:
    import torch

# Names only: importing torch (~1 s) is deferred until a simulator runs, so `w2v-theory --help`
# and the commands that never touch torch start fast.
DTYPES = ("float32", "float64")
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" -> cuda when available else cpu; "cpu"; "cuda" (or "cuda:N") -> InputError without a GPU."""
    import torch

    if not isinstance(name, str):
        raise InputError(f"device must be a string, got {name!r}")
    name = name.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise InputError(f"device {name!r} requested but no CUDA device is available")
        try:
            device = torch.device(name)
        except RuntimeError:
            raise InputError(f"invalid device {name!r}") from None
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InputError(f"device {name!r} does not exist ({torch.cuda.device_count()} CUDA devices)")
        return device
    raise InputError(f"device must be one of {', '.join(DEVICES)}, got {name!r}")


def resolve_dtype(name: str) -> torch.dtype:
    """"float32" or "float64" -> the torch dtype (InputError otherwise)."""
    import torch

    if name in DTYPES:
        return getattr(torch, name)
    raise InputError(f"dtype must be one of {', '.join(DTYPES)}, got {name!r}")
