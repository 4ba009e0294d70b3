"""Run counting tasks in this process, in local worker processes, or on a Dask cluster, results as they finish.

Every runner has one method, `unordered(function, tasks)`, yielding (task, result) pairs as tasks
complete; counts are exact integers, so their sum does not depend on which worker ran what, or when.
Workers report bytes read through a shared counter (local processes) so the parent can show progress.
Dask is imported only when a scheduler address is given.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import re
import sys
import time
from typing import Callable, Iterator, Sequence

from theory.validation import InputError

CONNECT_TIMEOUT_S = 3
POLL_S = 0.5
# Dask addresses as `host:port` or `protocol://host:port`.
ADDRESS_PATTERN = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")

# Set in each local worker process (and in the parent for in-process runs): where bytes read are added.
_bytes_read = None


def advance(count: int) -> None:
    """Called by tasks after each chunk: add `count` bytes to the progress counter, if there is one."""
    if _bytes_read is not None:
        with _bytes_read.get_lock():
            _bytes_read.value += count


def _set_counter(counter) -> None:
    global _bytes_read
    _bytes_read = counter


# Beyond a few processes the counting pass is bound by reading the corpus and summing the V x V partial counts.
MAX_DEFAULT_WORKERS = 4


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """Counting processes when none are asked for: the usable CPUs, at most MAX_DEFAULT_WORKERS."""
    return min(usable_cpus(), MAX_DEFAULT_WORKERS)


def check_address(address: str) -> str:
    """The address if it looks like a Dask scheduler address (host:port, optionally protocol://), else InputError."""
    match = ADDRESS_PATTERN.match(address or "")
    if not match or not 0 < int(match.group(2)) < 65536:
        raise InputError(f"scheduler address {address!r} is not of the form tcp://HOST:PORT")
    return address


def group_tasks(items: Sequence, sizes: Sequence[int], target_bytes: int, workers: int) -> list[list]:
    """Items in groups of about target_bytes, a multiple of `workers` groups, balanced (largest first)."""
    total = sum(sizes)
    count = workers * max(1, -(-total // (workers * target_bytes)))
    count = max(1, min(count, len(items)))
    groups: list[list] = [[] for _ in range(count)]
    loads = [0] * count
    for size, index in sorted(((s, i) for i, s in enumerate(sizes)), reverse=True):
        lightest = loads.index(min(loads))
        groups[lightest].append(items[index])
        loads[lightest] += size
    return [g for g in groups if g]


class InProcess:
    """Tasks one after another in this process (workers = 1): no copies, no start-up cost."""

    workers = 1
    local = True

    def __init__(self):
        self.counter = multiprocessing.Value("q", 0)

    def unordered(self, function: Callable, tasks: list[tuple]) -> Iterator[tuple]:
        _set_counter(self.counter)
        try:
            for task in tasks:
                yield task, function(*task)
        finally:
            _set_counter(None)

    def bytes_read(self) -> int:
        return self.counter.value


class LocalProcesses:
    """A pool of `workers` processes on this machine (nothing for the user to start)."""

    local = True

    def __init__(self, workers: int):
        self.workers = workers
        # fork shares the already compiled kernels with the children; spawn elsewhere.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        self.counter = context.Value("q", 0)
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_set_counter, initargs=(self.counter,))

    def unordered(self, function: Callable, tasks: list[tuple]) -> Iterator[tuple]:
        futures = {self.pool.submit(function, *task): task for task in tasks}
        pending = set(futures)
        try:
            while pending:
                done, pending = concurrent.futures.wait(pending, timeout=POLL_S,
                                                        return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    yield futures[future], future.result()
                if not done:
                    yield None, None  # a heartbeat, so the caller can refresh progress
        finally:
            for future in pending:
                future.cancel()

    def bytes_read(self) -> int:
        return self.counter.value

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster:
    """An existing Dask cluster (`dask.distributed.Client(address)`); its workers must see the corpus files."""

    local = False

    def __init__(self, address: str):
        try:
            from dask.distributed import Client
        except ImportError:
            raise InputError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from None
        try:
            self.client = Client(check_address(address), timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot reach the Dask scheduler at {address!r}: {reason}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.done_bytes = 0

    def unordered(self, function: Callable, tasks: list[tuple]) -> Iterator[tuple]:
        from dask.distributed import as_completed

        futures = [self.client.submit(function, *task, pure=False) for task in tasks]
        index = {future.key: task for future, task in zip(futures, tasks)}
        try:
            for future in as_completed(futures):
                result = future.result()
                task = index[future.key]
                future.release()
                yield task, result
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def bytes_read(self) -> int:
        return self.done_bytes

    def close(self) -> None:
        self.client.close()


@contextlib.contextmanager
def task_runner(workers: int = 1, scheduler: str | None = None):
    """InProcess for one worker, LocalProcesses for more, DaskCluster when a scheduler address is given."""
    if scheduler is not None:
        runner = DaskCluster(scheduler)
    elif workers <= 1:
        runner = InProcess()
    else:
        runner = LocalProcesses(workers)
    try:
        yield runner
    finally:
        if hasattr(runner, "close"):
            runner.close()


class Progress:
    """Bytes processed out of a total: a tqdm bar on a terminal, else a plain line every LOG_EVERY_S seconds."""

    LOG_EVERY_S = 15.0

    def __init__(self, label: str, total: int, enabled: bool):
        self.label, self.total, self.enabled = label, max(total, 1), enabled
        self.start = self.last_log = time.perf_counter()
        self.done = 0
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=label, unit="B", unit_scale=True, file=sys.stderr,
                            leave=False)

    def update_to(self, done: int) -> None:
        done = min(done, self.total)
        if not self.enabled or done <= self.done:
            return
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done
        now = time.perf_counter()
        if self.bar is None and now - self.last_log >= self.LOG_EVERY_S:
            self.last_log = now
            self._log(now)

    def close(self) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.close()
        self.done = self.total
        self._log(time.perf_counter())

    def _log(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9) / 1e6
        print(f"w2v-theory count: {self.label}: {self.done / 1e6:.0f} of {self.total / 1e6:.0f} MB "
              f"({100 * self.done / self.total:.0f} %), {rate:.0f} MB/s", file=sys.stderr, flush=True)
