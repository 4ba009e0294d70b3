"""The Dask client a map runs on: a LocalCluster of one-thread worker processes, or an existing scheduler (lazy import)."""

from __future__ import annotations

import contextlib
import logging

from sims.maps.cells import THREAD_VARIABLES
from theory.validation import InputError

__all__ = ["dask_client", "CONNECT_TIMEOUT_S"]

CONNECT_TIMEOUT_S = 3
# Each worker process gets one BLAS / OpenMP thread before numpy loads (run_cell also caps torch).
WORKER_ENV = {name: "1" for name in THREAD_VARIABLES}


def _distributed():
    try:
        import distributed
    except ImportError:
        raise InputError("dask.distributed is not installed: install dask[distributed], or run in this process "
                         "with --workers 0") from None
    return distributed


def _connect(distributed, address: str):
    try:
        return distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {address!r} within {CONNECT_TIMEOUT_S} s "
                         f"({reason[:160]})") from None


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None):
    """Yield a distributed.Client (None for workers = 0 without a scheduler: run in this process); close it after."""
    if scheduler is None and int(workers) == 0:
        yield None
        return
    distributed = _distributed()
    if scheduler is not None:
        client = _connect(distributed, scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR, env=dict(WORKER_ENV))
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
