"""Each step of the SymPy derivation chain (theory.symbolic) checked by an independent route, and `derive`."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sims.cli import main as cli_main
from sims.claims.recording import assert_within
from theory import dynamics, symbolic
from theory.symbolic import eta, f, g, lam, s, t, u, u0, x
from theory.tolerances import tolerance

IDENTITY = tolerance("identity").value


def is_zero(expr) -> bool:
    """Exact zero test on a scalar or an explicit matrix (never a string comparison)."""
    items = expr if isinstance(expr, sp.MatrixBase) else [expr]
    return all(sp.simplify(item) == 0 for item in items)


def rationals(rng, shape, low=1, high=9):
    """Exact random positive rationals, so identities are checked with no rounding at all."""
    return sp.Matrix(*shape, lambda i, j: sp.Rational(int(rng.integers(low, high)), int(rng.integers(1, 7))))


def signed_rationals(rng, shape):
    return sp.Matrix(*shape, lambda i, j: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 7))))


def symmetric(matrix: sp.Matrix) -> sp.Matrix:
    return (matrix + matrix.T) / 2


def relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1.0))


def random_orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def flow(w, m):
    """The convention of THEORY §2, written out here independently of theory.symbolic."""
    return -0.5 * (w @ w.T - m) @ w


# ---------------------------------------------------------------------------------------------- Q1

@pytest.mark.claim("Q1", source="THEORY §1 (QWEM as the Taylor expansion of SGNS)")
@pytest.mark.parametrize("sign", [1, -1])
def test_qwem_pair_terms_are_the_sgns_taylor_expansion(sign):
    """Coefficients from derivatives at 0 (not `series`): 2 (f - log 2) to third order is the QWEM term."""
    pair_loss = sp.log(1 + sp.exp(-sign * x))
    coefficients = [sp.simplify(sp.diff(pair_loss, x, k).subs(x, 0) / sp.factorial(k)) for k in range(5)]
    assert coefficients[0] == sp.log(2)
    assert coefficients[3] == 0, "the expansion must be exact to third order"
    expected_qwem = x ** 2 / 4 - sign * x
    assert is_zero(2 * sum(coefficients[k] * x ** k for k in (1, 2, 3)) - expected_qwem)
    assert is_zero(symbolic.qwem_pair_loss(sign) - expected_qwem)
    assert is_zero(symbolic.sgns_pair_loss(sign) - pair_loss)
    assert coefficients[4] == symbolic.taylor_remainder_coefficient() == sp.Rational(-1, 192)
    # The remainder after the QWEM term really is -x^4/192 to leading order (a limit, not a series).
    remainder = pair_loss - sp.log(2) - symbolic.qwem_pair_loss(sign) / 2
    assert sp.limit(remainder / x ** 4, x, 0) == sp.Rational(-1, 192)


# ---------------------------------------------------------------------------------------------- P2 / T1

def explicit_qwem(w, joint, unigram, psi_pos, psi_neg):
    """The QWEM loss of THEORY §1 on explicit matrices, with its own G and M*."""
    independent = unigram * unigram.T
    positive = psi_pos.multiply_elementwise(joint)
    negative = psi_neg.multiply_elementwise(independent)
    gram = w * w.T
    loss = sum(positive[k] * (gram[k] ** 2 / 4 - gram[k]) + negative[k] * (gram[k] ** 2 / 4 + gram[k])
               for k in range(len(gram)))
    weight = positive + negative
    target = sp.Matrix(*weight.shape, lambda i, j: (positive[i, j] - negative[i, j]) / (weight[i, j] / 2))
    return loss, weight, target


@pytest.mark.claim("P2-sym", source="Proposition 2")
def test_weighted_square_completion_on_exact_rationals(rng):
    """L - 1/4 sum G (WW^T - M*)^2 is the same for random W (V = 3, d = 2) and equals the derived remainder."""
    size = 3
    joint, unigram = symmetric(rationals(rng, (size, size))), rationals(rng, (size, 1))
    psi_pos, psi_neg = symmetric(rationals(rng, (size, size))), symmetric(rationals(rng, (size, size)))
    remainder = symbolic.weighted_square_completion()
    values = {}
    problem = symbolic.qwem_problem(size)
    for name, matrix in (("joint", joint), ("psi_pos", psi_pos), ("psi_neg", psi_neg)):
        for i in range(size):
            for j in range(size):
                values[getattr(problem, name)[i, j]] = matrix[i, j]
    values.update({problem.unigram[i]: unigram[i] for i in range(size)})
    derived = remainder.subs(values)
    for _ in range(3):
        w = signed_rationals(rng, (size, 2))
        loss, weight, target = explicit_qwem(w, joint, unigram, psi_pos, psi_neg)
        gap = loss - sum(weight[k] * ((w * w.T)[k] - target[k]) ** 2 for k in range(size * size)) / 4
        assert gap - derived == 0
    assert derived == -sum(weight[k] * target[k] ** 2 for k in range(size * size)) / 4


@pytest.mark.claim("T1-sym", source="Theorem 1 (square completion iff G constant)")
def test_square_completion_condition_is_constant_g(rng):
    """The solved Psi- makes G = g; with G = g the identity holds at random W, with G perturbed it fails."""
    problem = symbolic.qwem_problem(2)
    solution = symbolic.square_completion_condition()
    weight = (problem.psi_pos.multiply_elementwise(problem.joint)
              + problem.psi_neg.multiply_elementwise(problem.unigram * problem.unigram.T)).subs(solution)
    assert is_zero(weight - g * sp.ones(2, 2))

    size, g_value = 3, sp.Rational(7, 2)
    joint, unigram = symmetric(rationals(rng, (size, size))), rationals(rng, (size, 1))
    psi_pos = symmetric(rationals(rng, (size, size)))
    # Setting 3.1 weights chosen here by the test: Psi-_ij P_i P_j = g - Psi+_ij P_ij.
    psi_neg = sp.Matrix(size, size, lambda i, j: (g_value - psi_pos[i, j] * joint[i, j]) / (unigram[i] * unigram[j]))

    def completion_gap(w, psi_neg):
        loss, _, target = explicit_qwem(w, joint, unigram, psi_pos, psi_neg)
        error = sum(((w * w.T)[k] - target[k]) ** 2 for k in range(size * size))
        return loss - g_value / 4 * error, -g_value / 4 * sum(target[k] ** 2 for k in range(size * size))

    w1, w2 = signed_rationals(rng, (size, 1)), signed_rationals(rng, (size, 1))
    gap1, constant = completion_gap(w1, psi_neg)
    gap2, _ = completion_gap(w2, psi_neg)
    assert gap1 == gap2 == constant
    perturbed = psi_neg.copy()
    perturbed[0, 1] = perturbed[1, 0] = psi_neg[0, 1] * 2  # G_01 != g now
    assert completion_gap(w1, perturbed)[0] != completion_gap(w2, perturbed)[0]


@pytest.mark.claim("T1-sym", source="Theorem 1")
def test_square_completion_constant_is_minus_g_over_4_norm(rng):
    """The derived constant -(g/4)||M*||^2 with M* = 2(2 Psi+ P - g)/g recomputed from its definition."""
    problem = symbolic.setting31_problem(3)
    constant = symbolic.square_completion()
    positive = problem.psi_pos.multiply_elementwise(problem.joint)
    own_target = (2 * positive - g * sp.ones(3, 3)) / (g / 2)
    assert is_zero(constant + g / 4 * sum(entry ** 2 for entry in own_target))


# ---------------------------------------------------------------------------------------------- GF1

@pytest.mark.claim("GF1", source="THEORY §2 gradient-flow convention")
def test_gradient_flow_and_riccati_on_explicit_matrices(rng):
    """-(1/2g) dL/dW from the test's own loss equals the derived flow, and d(WW^T)/dt the derived Riccati form."""
    size, dim, weight_scale = 3, 2, sp.Rational(5, 2)
    joint, unigram = symmetric(rationals(rng, (size, size))), rationals(rng, (size, 1))
    psi_pos = symmetric(rationals(rng, (size, size)))
    psi_neg = sp.Matrix(size, size, lambda i, j: (weight_scale - psi_pos[i, j] * joint[i, j]) / (unigram[i] * unigram[j]))
    w_free = sp.Matrix(size, dim, lambda i, j: sp.Symbol(f"v{i}{j}"))
    loss, weight, target = explicit_qwem(w_free, joint, unigram, psi_pos, psi_neg)
    assert weight == weight_scale * sp.ones(size, size)
    gradient = sp.Matrix(size, dim, lambda i, j: sp.diff(loss, w_free[i, j]))
    w = signed_rationals(rng, (size, dim))
    velocity = (-gradient / (2 * weight_scale)).subs(dict(zip(w_free, w)))
    derived = symbolic.gradient_flow().subs({symbolic.W_SYMBOL: w, symbolic.M_SYMBOL: target}).doit()
    assert is_zero(sp.Matrix(derived) - velocity)
    assert is_zero(velocity - (-(w * w.T - target) * w / 2))

    gram_rate = velocity * w.T + w * velocity.T
    riccati = symbolic.riccati().subs({symbolic.S_SYMBOL: w * w.T, symbolic.M_SYMBOL: target}).doit()
    assert is_zero(sp.Matrix(riccati) - gram_rate)


# ---------------------------------------------------------------------------------------------- L31

@pytest.mark.claim("L31-sym", source="Lemma 3.1 (aligned init)")
def test_aligned_flow_reduces_to_the_mode_ode(rng):
    """Numerically, in a random eigenbasis and right frame: dW/dt stays in the frame and d(s^2)/dt = mode_ode."""
    assert symbolic.flow_equivariance()
    size, dim = 6, 3
    basis, frame = random_orthogonal(rng, size), random_orthogonal(rng, dim)
    eigenvalues = np.sort(rng.uniform(-1, 3, size))[::-1]
    eigenvalues[:dim] = np.abs(eigenvalues[:dim]) + 0.1
    target = basis @ np.diag(eigenvalues) @ basis.T
    strengths = rng.uniform(0.05, 2.0, dim)
    w = basis[:, :dim] @ np.diag(strengths) @ frame.T
    in_frame = basis.T @ flow(w, target) @ frame
    rates = np.diag(in_frame[:dim])
    off_frame = in_frame.copy()
    off_frame[np.arange(dim), np.arange(dim)] = 0
    assert np.max(np.abs(off_frame)) <= IDENTITY * np.max(np.abs(rates)), "singular vectors moved"
    ode = sp.lambdify((u, lam), symbolic.mode_ode(), "numpy")
    assert relative(2 * strengths * rates, ode(strengths ** 2, eigenvalues[:dim])) <= IDENTITY
    assert is_zero(symbolic.mode_ode() - u * (lam - u))


@pytest.mark.claim("L31-sym", source="Lemma 3.1 (logistic solution)")
def test_logistic_solves_the_mode_ode_exactly():
    """checkodesol-style substitution: du/dt - u (lam - u) = 0 and u(0) = u0."""
    solution = symbolic.mode_solution()
    assert is_zero(sp.diff(solution, t) - solution * (lam - solution))
    assert is_zero(solution.subs(t, 0) - u0)
    assert is_zero(symbolic.mode_solution_stable().subs(symbolic.z, sp.exp(-lam * t)) - solution)


@pytest.mark.claim("L31-sym", source="Lemma 3.1 (logistic solution)")
@given(eigenvalue=st.floats(0.1, 5.0), log_u0=st.floats(-16, -1))
def test_logistic_numerics_match_numerical_ode(eigenvalue, log_u0):
    """theory.dynamics.mode_trajectory (= the dsolve result, SYM-NUM) against solve_ivp on log u
    (rtol = atol = 1e-12; log u keeps relative accuracy while u is tiny)."""
    initial = min(10.0 ** log_u0, eigenvalue / 4)
    horizon = 3 * np.log(eigenvalue / initial) / eigenvalue
    times = np.linspace(0, horizon, 40)
    numeric = np.exp(solve_ivp(lambda _, y: eigenvalue - np.exp(y), (0, horizon), [np.log(initial)],
                               method="DOP853", t_eval=times, rtol=1e-12, atol=1e-12).y[0])
    # mode_trajectory is what the closed-form predictions evaluate.
    closed = dynamics.mode_trajectory(times, eigenvalue, initial)
    assert_within(np.max(np.abs(numeric - closed)), "mode_ode", scale=eigenvalue,
                  problem=f"lam={eigenvalue}, u0={initial}", what="max |ODE - logistic| over 40 times")


@functools.cache
def lambdified_mode_numerics() -> dict:
    """The derived Lemma 3.1 expressions, lambdified once (what theory.dynamics must reproduce)."""
    return {"step_time": sp.lambdify((lam, u0), symbolic.step_time(), "numpy"),
            "characteristic_time": sp.lambdify((lam, u0), symbolic.characteristic_time(), "numpy"),
            "mode_solution": sp.lambdify((t, lam, u0), symbolic.mode_solution(), "numpy"),
            "time_at_fraction": sp.lambdify((f, lam, u0), symbolic.time_at_fraction(), "numpy")}


@pytest.mark.claim("SYM-NUM", source="THEORY §2 (Lemma 3.1 numerics = derived expressions)")
@given(eigenvalue=st.floats(0.05, 20.0), log_ratio=st.floats(-12.0, float(np.log10(0.49))),
       growth=st.floats(0.0, 60.0), fraction=st.floats(0.01, 0.99))
def test_dynamics_numerics_equal_the_derived_expressions(eigenvalue, log_ratio, growth, fraction):
    """Each theory.dynamics function equals its lambdified SymPy expression, on 0 < u0 < lam/2 (u0 = ratio lam)
    and t = growth / lam (up to 60 e-folds, where exp(lam t) is still finite in the plain dsolve form)."""
    initial = eigenvalue * 10.0 ** log_ratio
    time = growth / eigenvalue
    derived = lambdified_mode_numerics()
    problem = f"lam={eigenvalue!r}, u0={initial!r}, t={time!r}, f={fraction!r}"
    unit = 1.0 / eigenvalue  # times are compared in units of 1/lam: a log near 1 is small but exact to eps/lam
    pairs = [
        ("half_height_time = step_time", dynamics.half_height_time(eigenvalue, initial),
         derived["step_time"](eigenvalue, initial), unit),
        ("characteristic_time", dynamics.characteristic_time(eigenvalue, initial),
         derived["characteristic_time"](eigenvalue, initial), unit),
        ("time_to_fraction = time at u = f lam", dynamics.time_to_fraction(eigenvalue, initial, fraction),
         derived["time_at_fraction"](fraction, eigenvalue, initial), unit),
        ("mode_trajectory = mode_solution", dynamics.mode_trajectory(time, eigenvalue, initial),
         derived["mode_solution"](time, eigenvalue, initial), eigenvalue),
    ]
    for what, numeric, expression, floor in pairs:
        numeric, expression = float(numeric), float(expression)
        assert_within(abs(numeric - expression), "identity", scale=max(abs(expression), floor), predicted=expression,
                      measured=numeric, problem=problem, what=what)


@pytest.mark.claim("L31-sym", source="Lemma 3.1 (step, characteristic and rise times)")
def test_times_of_the_logistic(rng):
    """Half-height and tau by substitution; the 10-90 % rise by root-finding on the logistic."""
    solution = symbolic.mode_solution()
    assert is_zero(solution.subs(t, symbolic.step_time()) - lam / 2)
    assert is_zero(symbolic.characteristic_time() - sp.log(lam / u0) / lam)
    assert is_zero(sp.expand_log(symbolic.characteristic_time() - sp.log(lam / u0) / lam, force=True))
    assert is_zero(solution.subs(t, sp.log(lam / u0) / lam) - lam / (2 - u0 / lam))
    assert is_zero(symbolic.height_at_characteristic_time() - lam / (2 - u0 / lam))
    assert is_zero(symbolic.rise_time_10_90() - 2 * sp.log(9) / lam)
    trajectory = sp.lambdify((t, lam, u0), solution, "numpy")
    rise = sp.lambdify(lam, symbolic.rise_time_10_90(), "numpy")
    for eigenvalue, initial in zip(rng.uniform(0.2, 4, 4), 10.0 ** rng.uniform(-8, -2, 4)):
        end = 4 * np.log(eigenvalue / initial) / eigenvalue

        def crossing(level):
            return scipy.optimize.brentq(lambda time: trajectory(time, eigenvalue, initial) - level * eigenvalue,
                                         0.0, end, xtol=1e-15, rtol=4 * np.finfo(float).eps)

        measured = crossing(0.9) - crossing(0.1)
        assert abs(measured - rise(eigenvalue)) <= IDENTITY * end


# ---------------------------------------------------------------------------------------------- GD

@pytest.mark.claim("GD-map", source="THEORY §4 (full-batch GD)")
def test_gd_step_acts_on_aligned_modes_by_the_derived_map(rng):
    """A numpy GD step on an aligned W in a random eigenbasis moves each s_k by the derived map."""
    size, dim, learning_rate = 5, 2, 0.3
    basis, frame = random_orthogonal(rng, size), random_orthogonal(rng, dim)
    eigenvalues = np.array([2.5, 1.2, 0.4, -0.3, -1.0])
    target = basis @ np.diag(eigenvalues) @ basis.T
    strengths = np.array([0.7, 1.4])
    w = basis[:, :dim] @ np.diag(strengths) @ frame.T
    stepped = basis.T @ (w + learning_rate * flow(w, target)) @ frame
    mode_map = sp.lambdify((s, eta, lam), symbolic.gd_mode_map(), "numpy")
    assert relative(stepped[:dim], np.diag(mode_map(strengths, learning_rate, eigenvalues[:dim]))) <= IDENTITY
    assert np.max(np.abs(stepped[dim:])) <= IDENTITY


@pytest.mark.claim("GD-map", source="THEORY §4 (stability eta lam < 2)")
def test_gd_fixed_point_multiplier_and_stability_bound():
    """Fixed point, multiplier from the test's own map, and iteration just inside / outside eta = 2/lam."""
    own_map = s + eta * s * (lam - s ** 2) / 2
    assert is_zero(symbolic.gd_mode_map() - own_map)
    assert is_zero(own_map.subs(s, sp.sqrt(symbolic.gd_fixed_point())) - sp.sqrt(lam))
    assert is_zero(symbolic.gd_fixed_point() - lam)
    assert is_zero(symbolic.gd_fixed_point_multiplier() - sp.diff(own_map, s).subs(s, sp.sqrt(lam)))
    bound = symbolic.gd_stability_bound()
    assert is_zero(bound - 2 / lam)
    step = sp.lambdify((s, eta, lam), own_map, "numpy")
    eigenvalue, perturbation = 1.7, 1e-3
    for factor, stable in ((0.95, True), (1.05, False)):
        learning_rate = factor * float(bound.subs(lam, eigenvalue))
        value = np.sqrt(eigenvalue) * (1 + perturbation)
        for _ in range(3000):
            value = step(value, learning_rate, eigenvalue)
        deviation = abs(value ** 2 - eigenvalue) / eigenvalue
        if stable:
            assert deviation <= IDENTITY, f"eta = {factor} * 2/lam should converge"
        else:
            assert deviation > 2 * perturbation, f"eta = {factor} * 2/lam should leave the fixed point"


# ---------------------------------------------------------------------------------------------- LIN1

@pytest.mark.claim("LIN1-sym", source="THEORY §3 (early linear regime)")
def test_linear_regime_exponential_solution(rng):
    """exp(tM/2) W0 solves dW/dt = 1/2 M W (SymPy's own Matrix.exp on a numeric M), and the derived
    propagator equals scipy's expm; the small-W limit of the flow is 1/2 M W."""
    target = sp.Matrix([[1, 2], [2, -1]])
    start = sp.Matrix([[sp.Rational(1, 3)], [-2]])
    propagator = (t * target / 2).exp()
    assert is_zero(sp.diff(propagator * start, t) - target * propagator * start / 2)

    slope, l0, l1, time = 0.37, 1.3, -0.6, 2.1
    derived = symbolic.linear_solution().subs({sp.Symbol("a", real=True): slope, sp.Symbol("l_0", real=True): l0,
                                               sp.Symbol("l_1", real=True): l1, t: time})
    angle = 2 * np.arctan(slope)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    expected = scipy.linalg.expm(time * rotation @ np.diag([l0, l1]) @ rotation.T / 2)
    assert relative(np.array(derived, dtype=float), expected) <= IDENTITY

    eps = sp.Symbol("eps", positive=True)
    w = signed_rationals(rng, (3, 2))
    m = symmetric(signed_rationals(rng, (3, 3)))
    small = (-(eps * w * (eps * w).T - m) * eps * w / 2) / eps
    limit = small.applyfunc(lambda item: sp.limit(item, eps, 0))
    derived_linear = symbolic.linear_flow().subs({symbolic.W_SYMBOL: w, symbolic.M_SYMBOL: m}).doit()
    assert is_zero(sp.Matrix(derived_linear) - limit)


@pytest.mark.claim("LIN1-sym", source="THEORY §3 (early linear regime)")
def test_early_growth_is_the_small_u0_limit_of_the_logistic():
    """u0 e^{lam t} is the first-order term of the logistic solution in u0."""
    first_order = sp.series(symbolic.mode_solution(), u0, 0, 2).removeO()
    assert is_zero(first_order - symbolic.early_mode_growth())
    assert is_zero(symbolic.early_mode_growth() - u0 * sp.exp(lam * t))


# ---------------------------------------------------------------------------------------------- derive CLI

EXPECTED = {
    "qwem_pair_loss_positive": x ** 2 / 4 - x,
    "qwem_pair_loss_negative": x ** 2 / 4 + x,
    "taylor_remainder_coefficient": sp.Rational(-1, 192),
    "mode_ode": u * (lam - u),
    "mode_solution": lam * u0 * sp.exp(lam * t) / (lam + u0 * (sp.exp(lam * t) - 1)),
    "step_time": sp.log(lam / u0 - 1) / lam,
    "characteristic_time": sp.log(lam / u0) / lam,
    "height_at_characteristic_time": lam / (2 - u0 / lam),
    "rise_time_10_90": 2 * sp.log(9) / lam,
    "gd_mode_map": s * (1 + eta * (lam - s ** 2) / 2),
    "gd_fixed_point": lam,
    "gd_fixed_point_multiplier": 1 - eta * lam,
    "gd_stability_bound": 2 / lam,
    "early_mode_growth": u0 * sp.exp(lam * t),
}


def run_derive(capsys, *flags) -> str:
    assert cli_main(["derive", *flags]) == 0
    return capsys.readouterr().out


def test_derive_json_parses_to_the_expected_expressions(capsys):
    payload = json.loads(run_derive(capsys, "--json"))
    for name, value in payload.items():
        assert isinstance(value, str)
        sp.sympify(value)  # plain SymPy text, readable without any local names
    for name, expected in EXPECTED.items():
        parsed = sp.sympify(payload[name], locals=symbolic.SYMBOLS)
        assert is_zero(sp.expand_log(parsed - expected, force=True)), f"{name}: {payload[name]}"


def test_derive_plain_and_latex_are_labelled(capsys):
    labels = ["[Q1]", "[P2-sym]", "[T1-sym]", "[GF1]", "[L31-sym]", "[GD-map]", "[LIN1-sym]"]
    plain = run_derive(capsys)
    latex = run_derive(capsys, "--latex")
    for text in (plain, latex):
        assert text.strip()
        positions = [text.index(label) for label in labels]
        assert positions == sorted(positions), "steps must appear in chain order"
    assert "\\frac{x^{2}}{4} - x" in latex and "\\lambda" in latex
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["derive", "--json", "--latex"])
    assert exit_info.value.code == 2
