"""Torch device and dtype selection for the simulators: one place that turns user strings into torch objects."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from theory.validation import InputError

if TYPE_CHECKING:
    import torch

# Names only: importing torch (~1 s) is deferred until a simulator runs, so `w2v-theory --help`
# and the commands that never touch torch start fast.
DTYPES = ("float32", "float64")
DEVICES = ("auto", "cpu", "cuda")
# Up to this vocabulary size a CPU step's tensor ops are too small for torch's intra-op threads to pay
# for their synchronisation, and on a loaded machine OpenMP's spin-waiting makes them far slower
# (README gives the measured timings).
SINGLE_THREAD_MAX_SIZE = 4096


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


@contextlib.contextmanager
def thread_policy(device: "torch.device", size: int):
    """Threads for one simulation: NumPy's OpenBLAS on one thread while torch trains on the CPU, and torch itself on
    one thread for a vocabulary of at most SINGLE_THREAD_MAX_SIZE words.

    The simulators' recorders call NumPy (SVDs, small products) between torch steps; OpenBLAS's threads then spin
    waiting for work while torch's own threads run the step, and on a 2-core machine the two pools oversubscribe
    the cores (the README's "Real text" gives the measured slowdown).
    CUDA runs keep both settings; previous settings are restored after.
    """
    import torch
    from threadpoolctl import threadpool_limits

    if device.type != "cpu":
        yield
        return
    with threadpool_limits(limits={"openblas": 1}):
        if size > SINGLE_THREAD_MAX_SIZE or torch.get_num_threads() == 1:
            yield
            return
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)
