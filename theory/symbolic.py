"""SymPy derivations of the learning dynamics (THEORY §1-§2), cached and lambdified for the numerics."""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

# Symbols shared by every derivation; names match the keys of `w2v-theory derive --json`.
t = sp.Symbol("t", nonnegative=True)
lam = sp.Symbol("lam", positive=True)
u = sp.Symbol("u", positive=True)
u0 = sp.Symbol("u0", positive=True)
# z = exp(-lam t): the trajectory is rewritten in z so that it never overflows at late times.
z = sp.Symbol("z", positive=True)


@cache
def mode_ode() -> sp.Expr:
    """Lemma 3.1: on aligned W the flow decouples into du/dt = u (lam - u) with u = s_k^2."""
    return u * (lam - u)


@cache
def mode_solution() -> sp.Expr:
    """Lemma 3.1: the logistic solution u(t) of the mode ODE with u(0) = u0, from `dsolve`."""
    f = sp.Function("u")
    ode = sp.Eq(f(t).diff(t), mode_ode().subs(u, f(t)))
    solution = sp.dsolve(ode, f(t), ics={f(0): u0})
    return sp.simplify(solution.rhs)


@cache
def mode_solution_stable() -> sp.Expr:
    """The logistic solution in z = exp(-lam t); checked equal to `mode_solution` on derivation."""
    expr = sp.simplify(mode_solution().subs(sp.exp(lam * t), 1 / z))
    if sp.simplify(expr.subs(z, sp.exp(-lam * t)) - mode_solution()) != 0:
        raise AssertionError("rewriting the logistic solution in exp(-lam t) changed it")
    return expr


@cache
def step_time() -> sp.Expr:
    """Half-height time: the t at which u(t) = lam / 2, solved from the logistic solution."""
    (root,) = sp.solve(sp.Eq(mode_solution(), lam / 2), t)
    return sp.simplify(root)


@cache
def _mode_solution_numeric():
    return sp.lambdify((z, lam, u0), mode_solution_stable(), "numpy")


@cache
def _step_time_numeric():
    return sp.lambdify((lam, u0), step_time(), "numpy")


def mode_trajectory(times, eigenvalue, initial) -> np.ndarray:
    """s^2(t) of one aligned mode (broadcasts), evaluated with the derived logistic solution."""
    times, eigenvalue, initial = np.broadcast_arrays(
        np.asarray(times, dtype=np.float64), np.asarray(eigenvalue, dtype=np.float64),
        np.asarray(initial, dtype=np.float64))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        decay = np.exp(-eigenvalue * times)
        values = _mode_solution_numeric()(decay, eigenvalue, initial)
    # lam = 0 is the limit u0 / (1 + u0 t) of the same ODE (0/0 in the closed form).
    flat = eigenvalue == 0
    return np.where(flat, initial / (1.0 + initial * times), values)


def half_height_time(eigenvalue, initial) -> np.ndarray:
    """Time at which an aligned mode reaches s^2 = lam/2 from s^2(0) = initial < lam/2 (lam > 0)."""
    return np.asarray(_step_time_numeric()(np.asarray(eigenvalue, dtype=np.float64),
                                           np.asarray(initial, dtype=np.float64)), dtype=np.float64)
