"""One progress bar for every long run: a live bar on a terminal, a line every LOG_INTERVAL seconds in a log.

tqdm redraws its bar with carriage returns, which a log file (nohup, CI, `2> run.log`) shows as one
ever-growing line, or not at all until the run ends. `progress_bar` therefore writes through a filter
when stderr is not a terminal: each redraw becomes its own newline-terminated line, at most one per
LOG_INTERVAL seconds, and nothing at all for a run shorter than that (`delay`). Progress is on by
default everywhere; only `--no-progress` (enabled=False) turns it off.
"""

from __future__ import annotations

import sys
import time

# Seconds between progress lines in a log (and before the first one): a long run leaves a trace every
# half minute, a short one none.
LOG_INTERVAL = 30.0
TERMINAL_INTERVAL = 0.5


class _LineWriter:
    """A file-like filter for tqdm: carriage-return redraws become whole lines on the wrapped stream, at most
    one per `interval` seconds and none in the first `interval` (tqdm redraws on every postfix change)."""

    def __init__(self, stream, interval: float = LOG_INTERVAL):
        self.stream = stream
        self.interval = interval
        self.last = time.monotonic()

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip("\n")
        now = time.monotonic()
        if line.strip() and now - self.last >= self.interval:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last = now
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def progress_bar(total, desc: str, enabled: bool = True, unit: str = "it", **options):
    """A tqdm bar on stderr (None when not `enabled`), terminal-friendly or log-friendly as stderr is.

    Callers use `bar.update(n)`, `bar.set_postfix_str(...)` and `bar.close()`, and guard on None.
    """
    if not enabled:
        return None
    from tqdm import tqdm

    stream = sys.stderr
    if _is_terminal(stream):
        settings = dict(file=stream, mininterval=TERMINAL_INTERVAL, leave=False)
    else:
        settings = dict(file=_LineWriter(stream), mininterval=LOG_INTERVAL, maxinterval=LOG_INTERVAL,
                        delay=LOG_INTERVAL, ncols=100, leave=False, ascii=True)
    settings.update(options)
    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=False, **settings)
