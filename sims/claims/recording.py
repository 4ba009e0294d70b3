"""Assertions for claim tests that explain a failure to a researcher and record the error for the ledger.

`assert_within(error, "tolerance_name", ...)` checks a measured discrepancy against a named
entry of theory/tolerances.py. On failure the message carries the claim id and statement, the
generated problem in small form, predicted vs measured values and the tolerance with its reason.
Pass or fail, the error / tolerance ratio is recorded against the running test, and the claims
ledger (sims/claims/ledger.py) reports the worst one per claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.tolerances import tolerance


@dataclass
class Record:
    """The worst error seen by one test, relative to its bound (error / (tolerance * scale))."""

    error: float
    bound: float
    tolerance_name: str
    what: str

    @property
    def ratio(self) -> float:
        if self.bound > 0:
            return self.error / self.bound
        return 0.0 if self.error <= 0 else float("inf")  # a zero tolerance (exact counts)


# Set by the ledger plugin around each test call: (nodeid, claim id, statement, source).
_current: dict = {"nodeid": None, "claim": None, "statement": None, "source": None, "kind": "claim"}
# nodeid -> worst Record; read by the ledger plugin.
RECORDS: dict[str, Record] = {}


def set_current(nodeid=None, claim=None, statement=None, source=None, kind="claim") -> None:
    """Called by the ledger plugin: which test (and claim or conjecture) subsequent records belong to."""
    _current.update(nodeid=nodeid, claim=claim, statement=statement, source=source, kind=kind)


def _headline() -> str:
    return f"{_current['kind']} {_current['claim'] or '?'}: {_current['statement'] or ''}".rstrip()


def relative(a, b) -> float:
    """max |a - b| relative to the larger of max |a|, max |b| and 1 (for O(1) quantities)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1.0))


def _short(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value, dtype=float)
        return np.array2string(arr, precision=5, max_line_width=110, threshold=24)
    return str(value)


def record(error: float, bound: float, tolerance_name: str, what: str = "") -> None:
    """Keep the worst error / bound for the running test (no-op outside a test)."""
    nodeid = _current["nodeid"]
    if nodeid is None:
        return
    new = Record(float(error), float(bound), tolerance_name, what)
    old = RECORDS.get(nodeid)
    # NaN errors are the worst possible outcome: they must show up, never hide behind a max().
    if old is None or not np.isfinite(new.ratio) or (np.isfinite(old.ratio) and new.ratio > old.ratio):
        RECORDS[nodeid] = new


def failure_message(error: float, bound: float, tolerance_name: str, *, predicted=None, measured=None,
                    problem=None, what: str = "", scale: float = 1.0) -> str:
    """The message a failed claim prints: claim, problem, predicted vs measured, tolerance and reason."""
    tol = tolerance(tolerance_name)
    lines = [_headline()]
    if _current["source"]:
        lines.append(f"  source:    {_current['source']}")
    if what:
        lines.append(f"  checked:   {what}")
    if problem is not None:
        lines.append(f"  problem:   {problem}")
    lines.append(f"  predicted: {_short(predicted)}")
    lines.append(f"  measured:  {_short(measured)}")
    scaled = f" x scale {scale:.4g}" if scale != 1.0 else ""
    lines.append(f"  error {error:.4g} > bound {bound:.4g} (tolerance '{tolerance_name}' = {tol.value:.4g}{scaled})")
    lines.append(f"  why that tolerance: {tol.reason}")
    return "\n".join(lines)


def assert_within(error, tolerance_name: str, *, predicted=None, measured=None, problem=None,
                  what: str = "", scale: float = 1.0) -> float:
    """Assert `error` <= tolerance(tolerance_name) * scale; record error / bound for the ledger.

    `error` is the measured discrepancy (already reduced to one number, e.g. a max relative error);
    `predicted` / `measured` are the quantities compared, shown only in the failure message;
    `problem` is the generated problem (its short repr); `scale` converts a relative tolerance to
    the units of `error` (e.g. lam_1 for an absolute error in eigenvalue units).
    Returns the error, so a test can use it further.
    """
    error = float(error)
    bound = tolerance(tolerance_name).value * float(scale)
    record(error, bound, tolerance_name, what)
    if not error <= bound:  # also fails on NaN
        raise AssertionError(failure_message(error, bound, tolerance_name, predicted=predicted,
                                             measured=measured, problem=problem, what=what, scale=scale))
    return error


def check(condition: bool, what: str, *, problem=None, predicted=None, measured=None) -> None:
    """A qualitative assertion (no tolerance) with the same claim-aware message."""
    if not condition:
        lines = [_headline(), f"  failed:    {what}"]
        if problem is not None:
            lines.append(f"  problem:   {problem}")
        if predicted is not None or measured is not None:
            lines.append(f"  predicted: {_short(predicted)}")
            lines.append(f"  measured:  {_short(measured)}")
        raise AssertionError("\n".join(lines))


def check_claim(claim_id: str, case, *, problem=None):
    """Evaluate registered claim `claim_id` on `case` (sims.claims.registry), record it for the ledger and
    raise AssertionError with the claim-aware message unless it holds.

    A case that does not satisfy the claim's hypotheses fails too: tests construct their cases to satisfy
    them, so "not applicable" there means the strategy is wrong, not the theory.
    """
    from sims.claims.registry import evaluate

    outcome = evaluate(claim_id, case)
    problem = case if problem is None else problem
    if outcome.status == "not applicable":
        raise AssertionError("\n".join([_headline(), f"  not applicable: {outcome.reason}",
                                        f"  problem:   {problem}",
                                        "  (the test's strategy must construct cases satisfying the hypotheses)"]))
    m = outcome.measurement
    name = m.tolerance or outcome.claim.tolerance
    if outcome.bound != outcome.bound:  # a qualitative Violation: no bound to compare with
        check(False, m.what, problem=problem, predicted=m.predicted, measured=m.measured)
    record(m.error, outcome.bound, name, m.what)
    if outcome.status != "pass":
        raise AssertionError(failure_message(m.error, outcome.bound, name, predicted=m.predicted,
                                             measured=m.measured, problem=problem, what=m.what, scale=m.scale))
    return outcome
