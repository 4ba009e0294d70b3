"""The derivation chain as `w2v-theory derive` shows it: labelled steps of statements from theory.symbolic.

Every statement here is a result of theory.symbolic (derived and self-checked there) or display-only
notation for the general statement that result was checked on; nothing is derived here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from theory.symbolic import (M_SYMBOL, W_SYMBOL, aligned_flow, characteristic_time, early_mode_growth, eta,
                             flow_equivariance, g, gd_fixed_point, gd_fixed_point_multiplier, gd_mode_map,
                             gd_stability_bound, gradient_flow, height_at_characteristic_time, linear_flow,
                             linear_solution, mode_ode, mode_solution, qwem_pair_loss, riccati, rise_time_10_90,
                             sgns_pair_loss, sgns_taylor, square_completion, square_completion_condition, step_time,
                             taylor_remainder_coefficient, weighted_square_completion, x)


@dataclass(frozen=True)
class Step:
    """One labelled block of the derivation chain: (description, SymPy object) statements."""

    label: str
    title: str
    statements: tuple


@dataclass(frozen=True)
class _Notation:
    """Display-only symbols for the general statements (the checks ran on explicit small matrices)."""

    i: sp.Symbol = sp.Symbol("i", integer=True)
    j: sp.Symbol = sp.Symbol("j", integer=True)
    size: sp.Symbol = sp.Symbol("V", integer=True, positive=True)
    gram: sp.IndexedBase = sp.IndexedBase("X")
    weight: sp.IndexedBase = sp.IndexedBase("G")
    target: sp.IndexedBase = sp.IndexedBase("M")
    loss: sp.Symbol = sp.Symbol("L")

    def pair_sum(self, expr):
        """sum_{i, j = 1..V} expr."""
        return sp.Sum(expr, (self.i, 1, self.size), (self.j, 1, self.size))


def _qwem_step() -> Step:
    return Step("Q1", "QWEM pair terms from the SGNS Taylor series (THEORY §1)", (
        ("positive pair, SGNS", sgns_pair_loss(1)),
        ("its Taylor series at x = 0", sp.Eq(sgns_pair_loss(1), sgns_taylor(1) + sp.O(x ** 5), evaluate=False)),
        ("negative pair, SGNS", sgns_pair_loss(-1)),
        ("its Taylor series at x = 0", sp.Eq(sgns_pair_loss(-1), sgns_taylor(-1) + sp.O(x ** 5), evaluate=False)),
        ("QWEM positive term: 2 (series to x^3 - log 2)", qwem_pair_loss(1)),
        ("QWEM negative term", qwem_pair_loss(-1)),
        ("dropped x^4 coefficient (x^3 coefficient is 0)", taylor_remainder_coefficient()),
    ))


def _square_completion_steps() -> tuple[Step, Step]:
    """Proposition 2 and Theorem 1, stated in general after their checks on small symbolic problems."""
    n = _Notation()
    i, j = n.i, n.j
    squared_error = n.pair_sum((n.gram[i, j] - n.target[i, j]) ** 2)
    target_norm = n.pair_sum(n.target[i, j] ** 2)
    weight_entries = [sp.Eq(key, value, evaluate=False) for key, value in square_completion_condition().items()]
    weighted_square_completion()
    square_completion()
    proposition = Step("P2-sym", "Proposition 2: weighted square completion, any symmetric Psi", (
        ("X = WW^T, G = Psi+ P + Psi- P_i P_j, M = M*; checked on V = 3, d = 1 with symbolic P, Psi+, Psi-",
         sp.Eq(n.loss - n.pair_sum(n.weight[i, j] * (n.gram[i, j] - n.target[i, j]) ** 2) / 4,
               -n.pair_sum(n.weight[i, j] * n.target[i, j] ** 2) / 4, evaluate=False)),
    ))
    theorem = Step("T1-sym", "Theorem 1: square completion holds exactly when G is constant", (
        ("L - (g/4) sum (X - M)^2 independent of W forces (V = 2, d = 1)", weight_entries),
        ("i.e. G_ij = Psi+_ij P_ij + Psi-_ij P_i P_j = g for all i, j; then (checked on V = 3, d = 1)",
         sp.Eq(n.loss, g / 4 * squared_error - g / 4 * target_norm, evaluate=False)),
    ))
    return proposition, theorem


def _linear_solution_statement() -> sp.Eq:
    """W(t) = exp(t M/2) W(0) as a matrix-expression equation, after `linear_solution` has checked it."""
    linear_solution()
    start = sp.MatrixSymbol("W_0", W_SYMBOL.rows, W_SYMBOL.cols)
    # SymPy cannot multiply exp(MatrixSymbol) into a MatMul, so the propagator is a named matrix.
    propagator = sp.MatrixSymbol("exp(t*M/2)", M_SYMBOL.rows, M_SYMBOL.cols)
    return sp.Eq(sp.MatrixSymbol("W(t)", W_SYMBOL.rows, W_SYMBOL.cols), propagator * start, evaluate=False)


def _dynamics_steps() -> tuple[Step, ...]:
    """The flow, the logistic modes, the GD map and the early linear regime (THEORY §2-§4)."""
    return (
        Step("GF1", "Gradient flow and the Riccati equation for WW^T", (
            ("dW/dt = -1/(2g) dL/dW under Setting 3.1 (checked on V = 3, d = 2)",
             sp.Eq(sp.Symbol("dW/dt"), gradient_flow(), evaluate=False)),
            ("closed equation for S = WW^T", sp.Eq(sp.Symbol("dS/dt"), riccati(), evaluate=False)),
        )),
        Step("L31-sym", "Lemma 3.1: aligned modes are logistic", (
            ("flow is rotation-equivariant (work in M*'s eigenbasis)", sp.sympify(flow_equivariance())),
            ("aligned W: singular vectors fixed, ds_k/dt = ", aligned_flow()),
            ("mode ODE du/dt, u = s^2", mode_ode()),
            ("logistic solution u(t), u(0) = u0", mode_solution()),
            ("half-height time u = lam/2", step_time()),
            ("characteristic time tau = ln(lam/u0)/lam", characteristic_time()),
            ("height at tau", height_at_characteristic_time()),
            ("10 % -> 90 % rise time", rise_time_10_90()),
        )),
        Step("GD-map", "Full-batch gradient descent on one mode", (
            ("s -> ", gd_mode_map()),
            ("fixed point s^2 = ", gd_fixed_point()),
            ("multiplier there", gd_fixed_point_multiplier()),
            ("stable iff |multiplier| < 1, i.e.", sp.StrictLessThan(eta, gd_stability_bound())),
        )),
        Step("LIN1-sym", "Early linear regime of small W", (
            ("dropping the cubic term (W = eps W~, eps -> 0)",
             sp.Eq(sp.Symbol("dW/dt"), linear_flow(), evaluate=False)),
            ("solved by (checked with M* = Q diag(l_0, l_1) Q^T, Q a free 2 x 2 rotation)",
             _linear_solution_statement()),
            ("per mode s^2(t) ~ ", early_mode_growth()),
        )),
    )


@cache
def derivation_chain() -> tuple[Step, ...]:
    """Every step of THEORY §1-§2 in order, each statement derived (and self-checked) in theory.symbolic."""
    return (_qwem_step(), *_square_completion_steps(), *_dynamics_steps())


@cache
def derived_expressions() -> dict[str, sp.Expr]:
    """The scalar results of the chain by name (symbols x, u, lam, u0, t, eta, s), for `derive --json`."""
    return {
        "sgns_pair_loss_positive": sgns_pair_loss(1),
        "sgns_pair_loss_negative": sgns_pair_loss(-1),
        "sgns_taylor_positive": sgns_taylor(1),
        "sgns_taylor_negative": sgns_taylor(-1),
        "qwem_pair_loss_positive": qwem_pair_loss(1),
        "qwem_pair_loss_negative": qwem_pair_loss(-1),
        "taylor_remainder_coefficient": taylor_remainder_coefficient(),
        "mode_ode": mode_ode(),
        "mode_solution": mode_solution(),
        "step_time": step_time(),
        "characteristic_time": characteristic_time(),
        "height_at_characteristic_time": height_at_characteristic_time(),
        "rise_time_10_90": rise_time_10_90(),
        "gd_mode_map": gd_mode_map(),
        "gd_fixed_point": gd_fixed_point(),
        "gd_fixed_point_multiplier": gd_fixed_point_multiplier(),
        "gd_stability_bound": gd_stability_bound(),
        "early_mode_growth": early_mode_growth(),
    }
