"""The one tolerance policy: every numerical tolerance the suite asserts with, each with its reason.

Tests, the report and the claims ledger import tolerances from here and nowhere else, so that a
tolerance can never be widened in one place to make one check pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """A bound on a measured discrepancy and why the theory allows it."""

    value: float
    reason: str

    def __float__(self) -> float:
        return self.value

    def holds(self, error: float) -> bool:
        return bool(error <= self.value)


TOLERANCES: dict[str, Tolerance] = {
    "identity": Tolerance(1e-9, "algebraic identity evaluated in float64: only rounding, relative to the "
                                "largest term (sums of V^2 products lose ~1e-13 relative)"),
    "eigen_truncation": Tolerance(1e-10, "eigen-truncation by value compared to a dense LAPACK eigh in float64 "
                                         "(backward-stable solvers: error ~ V eps ||M||)"),
    "numerical_minimiser": Tolerance(1e-5, "L-BFGS on the quartic loss stops at gradient norm 1e-12; the Gram "
                                           "error scales like gtol / gap for a strict minimiser"),
    "mode_ode": Tolerance(1e-8, "solve_ivp(DOP853) on log s^2 at rtol = atol = 1e-12: the error in log s^2 "
                                "accumulates to ~1e3 atol over a rise, and |d s^2| <= lam |d log s^2|; relative to lam"),
}


def tolerance(name: str) -> Tolerance:
    """Look up a tolerance by name (KeyError names the missing entry)."""
    return TOLERANCES[name]
