"""Hypotheses shared by several claims: each a named condition with the reason a case fails it."""

from __future__ import annotations

import numpy as np

from sims.claims.registry import Hypothesis
from theory.dynamics import MIN_SEPARATION


def _small_init(case) -> str | None:
    ratio = case.strengths / case.prediction.learned_eigenvalues
    if np.all(ratio < 0.5):
        return None
    return f"mode {int(np.argmax(ratio)) + 1} starts at {float(ratio.max()):.3g} lam (needs < 1/2)"


def _distinct_last(case) -> str | None:
    p = case.prediction
    lam = p.learned_eigenvalues
    if len(p.eigenvalues) <= p.learned_modes:
        return None
    below = float(p.eigenvalues[p.learned_modes])
    if lam[-1] - below > 1e-9 * abs(lam[0]):
        return None
    return f"lam_m = {lam[-1]:.6g} ties lam_(m+1) = {below:.6g}: the minimiser is not unique"


def _all_steps_separated(case) -> str | None:
    bad = np.flatnonzero(case.separations[1:] < MIN_SEPARATION) + 2
    if bad.size == 0:
        return None
    return (f"steps {', '.join(map(str, bad))} are closer than {MIN_SEPARATION:g} e-folds to the one before "
            f"(lam_k (t_k - t_(k-1)) = {', '.join(f'{s:.3g}' for s in case.separations[bad - 1])})")


def separated_modes(case) -> np.ndarray:
    """Modes separated from both neighbours by >= MIN_SEPARATION e-folds (boolean mask)."""
    behind = np.append(True, case.separations[1:] >= MIN_SEPARATION)
    return behind & (case.lead_separations >= MIN_SEPARATION)


def _some_mode_separated(case) -> str | None:
    if np.any(separated_modes(case)):
        return None
    return f"no learned mode is separated from its neighbours by >= {MIN_SEPARATION:g} e-folds"


def _some_plateau_separated(case) -> str | None:
    if np.any(case.separations >= MIN_SEPARATION):
        return None
    return f"no plateau lasts >= {MIN_SEPARATION:g} e-folds of the mode that ends it"


def _some_lead_separated(case) -> str | None:
    if np.any(case.lead_separations >= MIN_SEPARATION):
        return None
    return f"no mode leads the next by >= {MIN_SEPARATION:g} e-folds"


SMALL_INIT = Hypothesis("small initialisation", _small_init)
DISTINCT_LAST = Hypothesis("unique minimiser", _distinct_last)
ALL_STEPS_SEPARATED = Hypothesis("separated steps", _all_steps_separated)
SOME_MODE_SEPARATED = Hypothesis("separated steps", _some_mode_separated)
SOME_PLATEAU_SEPARATED = Hypothesis("separated steps", _some_plateau_separated)
SOME_LEAD_SEPARATED = Hypothesis("separated steps", _some_lead_separated)


def eligibility_note(mask: np.ndarray, what: str) -> str:
    """Which modes / plateaus a measurement left out (1-based), when the separation condition excluded some."""
    if np.all(mask):
        return ""
    return f"{what} {', '.join(str(i + 1) for i in np.flatnonzero(~mask))} left out: separation < {MIN_SEPARATION:g}"
