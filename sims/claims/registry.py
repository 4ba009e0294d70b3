"""The one registry of claims and conjectures: each defined once, then run by tox, the report and the CLI.

A `Claim` is an id, a statement, its THEORY source, the hypotheses under which it holds, a
measurement (a function of a case, returning the measured discrepancy) and a named tolerance of
theory/tolerances.py. tests/ drive each claim with Hypothesis strategies that construct cases
satisfying its hypotheses; `w2v-theory report` evaluates the same claims on the user's problem and
answers "not applicable: <hypothesis>" where the problem does not satisfy them, never "fail".
The pattern is scikit-learn's `estimator_checks`: a public module of small checks that the library's
own tests and its users both run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from theory.tolerances import tolerance

KINDS = ("claim", "conjecture")
STATUSES = ("pass", "fail", "not applicable")


class Violation(AssertionError):
    """A qualitative failure inside a measurement (a step out of order, a mode never learned)."""

    def __init__(self, what: str, *, predicted=None, measured=None):
        super().__init__(what)
        self.what, self.predicted, self.measured = what, predicted, measured


def require(condition, what: str, *, predicted=None, measured=None) -> None:
    """Raise Violation(what) unless `condition`: the qualitative part of a measurement."""
    if not bool(condition):
        raise Violation(what, predicted=predicted, measured=measured)


@dataclass(frozen=True)
class Hypothesis:
    """A condition of a claim: `unmet(case)` says why a case fails it, or returns None when it holds."""

    name: str
    unmet: Callable[[Any], str | None]


@dataclass(frozen=True)
class Measurement:
    """A measured discrepancy, the quantities compared, and the scale that turns the tolerance into its units."""

    error: float
    predicted: Any = None
    measured: Any = None
    what: str = ""
    scale: float = 1.0
    tolerance: str | None = None  # overrides the claim's tolerance for this one measurement
    detail: str = ""              # e.g. which modes the measurement covered


@dataclass(frozen=True)
class Claim:
    """One statement of THEORY.md (or an open conjecture), its hypotheses, measurement and tolerance."""

    id: str
    statement: str
    source: str
    tolerance: str
    measure: Callable[[Any], Measurement | list]
    hypotheses: tuple = ()
    kind: str = "claim"
    section: int = 0
    rationale: str = ""
    case: str = ""        # the case type it measures, e.g. "flow" (sims.claims.FlowCase): the report runs those
    reads: tuple = ()     # the simulators its measurement reads, e.g. ("gd", "ode")

    def bound(self, measurement: Measurement) -> float:
        return tolerance(measurement.tolerance or self.tolerance).value * float(measurement.scale)


@dataclass(frozen=True)
class Outcome:
    """What evaluating one claim on one case gave: status, worst measurement against its bound, reason."""

    claim: Claim
    status: str
    measurement: Measurement | None = None
    bound: float | None = None
    reason: str = ""
    measurements: tuple = field(default=(), repr=False)

    @property
    def ratio(self) -> float | None:
        if self.measurement is None or not self.bound:
            return None
        return self.measurement.error / self.bound

    def as_dict(self) -> dict:
        m = self.measurement
        name = (m.tolerance if m and m.tolerance else None) or self.claim.tolerance
        return {"id": self.claim.id, "kind": self.claim.kind, "statement": self.claim.statement,
                "source": self.claim.source, "status": self.status,
                "measured": None if m is None else m.error, "bound": self.bound,
                "tolerance": tolerance(name).value, "tolerance_name": name,
                "tolerance_reason": tolerance(name).reason, "what": "" if m is None else m.what,
                "detail": self.reason or ("" if m is None else m.detail)}


REGISTRY: dict[str, Claim] = {}


def register(id: str, statement: str, *, source: str, tolerance: str, section: int,
             hypotheses=(), kind: str = "claim", rationale: str = "", case: str = "", reads=()):
    """Decorator: register `measure(case)` as claim `id` (ids are unique; tolerance names must exist)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    from theory.tolerances import TOLERANCES

    if tolerance not in TOLERANCES:
        raise KeyError(f"claim {id}: no tolerance named {tolerance!r} in theory/tolerances.py")

    def decorate(measure):
        if id in REGISTRY:
            raise ValueError(f"claim id {id!r} is registered twice")
        REGISTRY[id] = Claim(id, statement, source, tolerance, measure, tuple(hypotheses), kind, section, rationale,
                             case, tuple(reads))
        return measure

    return decorate


def get(claim_id: str) -> Claim:
    """The registered claim `claim_id` (KeyError lists the known ids)."""
    load_all()
    try:
        return REGISTRY[claim_id]
    except KeyError:
        raise KeyError(f"no claim {claim_id!r}; known: {', '.join(sorted(REGISTRY))}") from None


def all_claims(kind: str | None = None) -> list[Claim]:
    """Every registered claim (or only one kind), by THEORY section then id."""
    load_all()
    return sorted((c for c in REGISTRY.values() if kind in (None, c.kind)), key=lambda c: (c.section, c.id))


def load_all() -> None:
    """Import every module that registers claims (idempotent)."""
    from sims.claims import definitions  # noqa: F401  (importing registers)


def unmet_hypotheses(claim: Claim, case) -> list[str]:
    """The reasons, one per hypothesis the case does not satisfy (empty when all hold)."""
    reasons = []
    for hypothesis in claim.hypotheses:
        reason = hypothesis.unmet(case)
        if reason:
            reasons.append(f"{hypothesis.name}: {reason}")
    return reasons


def evaluate(claim: Claim | str, case) -> Outcome:
    """Check the hypotheses, measure, compare with the tolerance: pass, fail or not applicable."""
    claim = get(claim) if isinstance(claim, str) else claim
    unmet = unmet_hypotheses(claim, case)
    if unmet:
        return Outcome(claim, "not applicable", reason="; ".join(unmet))
    try:
        measured = claim.measure(case)
    except Violation as violation:
        return Outcome(claim, "fail", Measurement(math.inf, violation.predicted, violation.measured,
                                                  what=violation.what), math.nan, reason=violation.what)
    measurements = tuple(measured if isinstance(measured, (list, tuple)) else [measured])
    worst, worst_bound, worst_ratio = None, None, -math.inf
    for m in measurements:
        bound = claim.bound(m)
        ratio = m.error / bound if bound > 0 else (0.0 if m.error <= 0 else math.inf)
        if not math.isfinite(m.error):
            ratio = math.inf
        if worst is None or ratio > worst_ratio:
            worst, worst_bound, worst_ratio = m, bound, ratio
    status = "pass" if worst_ratio <= 1.0 else "fail"
    return Outcome(claim, status, worst, worst_bound, measurements=measurements)
