"""Convergence-rate measurements: the log-log slope of an error against a small parameter (diffrax's pattern)."""

from __future__ import annotations

import numpy as np


def log_log_slope(parameter, error) -> float:
    """Least-squares slope of log(error) against log(parameter): the order p in error ~ C parameter^p."""
    parameter, error = np.asarray(parameter, dtype=float), np.asarray(error, dtype=float)
    if parameter.size < 2 or np.any(parameter <= 0) or np.any(error <= 0):
        return float("nan")
    return float(np.polyfit(np.log(parameter), np.log(error), 1)[0])
