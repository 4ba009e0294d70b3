"""THEORY §1-§4 claims on the SymPy derivation chain (theory.symbolic): each derived step checked by an independent route.

Exact steps are checked on explicit matrices of random rationals drawn from the case's seed, so that no
rounding enters: such a measurement counts the identities that do not simplify to exactly 0 (tolerance
`exact_count`). Numerical steps (the derived expressions evaluated in float64 against NumPy, SciPy's
solve_ivp, expm and brentq) are compared relative to their scale (tolerances `identity`, `mode_ode`).
The case-independent SymPy identities of a claim are checked once per process (functools.cache): the
derivation chain is itself cached, so re-deriving them for every example would test nothing new.
SymPy (and theory.symbolic) is imported inside the measurements, so loading the registry (the report, the
CLI) does not import it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from fractions import Fraction

import numpy as np

from sims.claims.recording import relative
from sims.claims.registry import Hypothesis, Measurement, register, require
from theory import dynamics

__all__ = ["GdMapCase", "LinearCase", "LogisticCase", "ModeNumericsCase", "PairLossCase", "RationalCase",
           "SquareCompletionCase"]


# ---------------------------------------------------------------------------------------------- helpers

def nonzero_entries(expr) -> int:
    """How many entries of a scalar or explicit matrix do not simplify to exactly 0 (never a string comparison)."""
    import sympy as sp

    items = expr if isinstance(expr, sp.MatrixBase) else [expr]
    return sum(1 for item in items if sp.simplify(item) != 0)


def exact(residual, what: str, *, predicted=None, measured=None) -> Measurement:
    """An exact identity `residual = 0`: the error is the number of entries that are not 0 (tolerance exact_count)."""
    return Measurement(float(nonzero_entries(residual)), predicted, measured, what=what, tolerance="exact_count")


def rationals(rng, shape, low=1, high=9):
    """Exact random positive rationals, so identities are checked with no rounding at all."""
    import sympy as sp

    return sp.Matrix(*shape, lambda i, j: sp.Rational(int(rng.integers(low, high)), int(rng.integers(1, 7))))


def signed_rationals(rng, shape):
    import sympy as sp

    return sp.Matrix(*shape, lambda i, j: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 7))))


def symmetric(matrix):
    return (matrix + matrix.T) / 2


def random_orthogonal(rng, n) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def flow(w, m):
    """The convention of THEORY §2, dW/dt = -1/2 (WW^T - M*) W, written out here independently of theory.symbolic."""
    return -0.5 * (w @ w.T - m) @ w


def explicit_qwem(w, joint, unigram, psi_pos, psi_neg):
    """The QWEM loss of THEORY §1 on explicit matrices, with its own G and M* (independent of theory.symbolic)."""
    import sympy as sp

    independent = unigram * unigram.T
    positive = psi_pos.multiply_elementwise(joint)
    negative = psi_neg.multiply_elementwise(independent)
    gram = w * w.T
    loss = sum(positive[k] * (gram[k] ** 2 / 4 - gram[k]) + negative[k] * (gram[k] ** 2 / 4 + gram[k])
               for k in range(len(gram)))
    weight = positive + negative
    target = sp.Matrix(*weight.shape, lambda i, j: (positive[i, j] - negative[i, j]) / (weight[i, j] / 2))
    return loss, weight, target


@dataclass(frozen=True)
class RationalCase:
    """A seed for the exact random rationals (explicit V = 3 matrices, d = 2 embeddings) an identity is checked on."""

    seed: int

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def __repr__(self) -> str:
        return f"RationalCase(seed={self.seed})"


# ---------------------------------------------------------------------------------------------- §1: Q1

@dataclass(frozen=True)
class PairLossCase:
    """A pair's sign: +1 for a positive pair (loss log(1 + e^-x)), -1 for a negative pair (log(1 + e^x))."""

    sign: int

    def __repr__(self) -> str:
        return f"PairLossCase(sign={self.sign:+d})"


def _unit_sign(case) -> str | None:
    return None if case.sign in (1, -1) else f"sign must be +1 or -1, got {case.sign!r}"


UNIT_SIGN = Hypothesis("a positive (+1) or negative (-1) pair", _unit_sign)


@register("Q1", "for a positive (sign = +1) or negative (sign = -1) pair, theory.symbolic's QWEM pair term "
                "x^2/4 - sign x is twice the SGNS pair loss log(1 + e^(-sign x)) minus log 2 to third order in x "
                "(the x^3 coefficient is 0), with remainder -x^4/192 to leading order",
          source="THEORY §1 (QWEM as the Taylor expansion of SGNS)", tolerance="exact_count", section=1,
          hypotheses=(UNIT_SIGN,))
def qwem_is_sgns_taylor(case: PairLossCase) -> list:
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import x

    sign = case.sign
    pair_loss = sp.log(1 + sp.exp(-sign * x))
    # Coefficients from derivatives at 0 (not `series`, which theory.symbolic uses).
    c = [sp.simplify(sp.diff(pair_loss, x, k).subs(x, 0) / sp.factorial(k)) for k in range(5)]
    expected = x ** 2 / 4 - sign * x
    qwem = symbolic.qwem_pair_loss(sign)
    own = 2 * sum(c[k] * x ** k for k in (1, 2, 3))
    quartic = sp.Rational(-1, 192)
    remainder = sp.limit((pair_loss - sp.log(2) - qwem / 2) / x ** 4, x, 0)
    return [exact(c[0] - sp.log(2), "constant Taylor coefficient = log 2", predicted=sp.log(2), measured=c[0]),
            exact(c[3], "x^3 Taylor coefficient = 0 (exact to third order)", predicted=0, measured=c[3]),
            exact(own - expected, "2 x (x, x^2, x^3 Taylor terms) = x^2/4 - sign x", predicted=expected, measured=own),
            exact(qwem - expected, "theory.symbolic.qwem_pair_loss(sign) = x^2/4 - sign x", predicted=expected,
                  measured=qwem),
            exact(symbolic.sgns_pair_loss(sign) - pair_loss, "theory.symbolic.sgns_pair_loss(sign) = log(1 + e^(-sign x))",
                  predicted=pair_loss, measured=symbolic.sgns_pair_loss(sign)),
            exact(c[4] - quartic, "x^4 Taylor coefficient = -1/192", predicted=quartic, measured=c[4]),
            exact(symbolic.taylor_remainder_coefficient() - quartic, "taylor_remainder_coefficient() = -1/192",
                  predicted=quartic, measured=symbolic.taylor_remainder_coefficient()),
            exact(remainder - quartic, "lim (SGNS - log 2 - QWEM/2) / x^4 at x -> 0 = -1/192", predicted=quartic,
                  measured=remainder)]


# ---------------------------------------------------------------------------------------------- §2: P2-sym, T1-sym

@register("P2-sym", "for any symmetric Psi+, Psi- (random positive rationals, V = 3, d = 2), the derived remainder "
                    "of Proposition 2 equals L(W) - 1/4 sum_ij G_ij (WW^T - M*)_ij^2 at every W and is "
                    "-1/4 sum_ij G_ij M*_ij^2, exactly",
          source="Proposition 2", tolerance="exact_count", section=2)
def weighted_square_completion_exact(case: RationalCase) -> list:
    from theory import symbolic

    rng, size = case.rng(), 3
    joint, unigram = symmetric(rationals(rng, (size, size))), rationals(rng, (size, 1))
    psi_pos, psi_neg = symmetric(rationals(rng, (size, size))), symmetric(rationals(rng, (size, size)))
    problem = symbolic.qwem_problem(size)
    values = {}
    for name, matrix in (("joint", joint), ("psi_pos", psi_pos), ("psi_neg", psi_neg)):
        for i in range(size):
            for j in range(size):
                values[getattr(problem, name)[i, j]] = matrix[i, j]
    values.update({problem.unigram[i]: unigram[i] for i in range(size)})
    derived = symbolic.weighted_square_completion().subs(values)
    out = []
    for n in range(3):
        w = signed_rationals(rng, (size, 2))
        loss, weight, target = explicit_qwem(w, joint, unigram, psi_pos, psi_neg)
        gap = loss - sum(weight[k] * ((w * w.T)[k] - target[k]) ** 2 for k in range(size * size)) / 4
        out.append(exact(gap - derived, f"L - 1/4 sum G (WW^T - M*)^2 at random W no. {n + 1} = derived remainder",
                         predicted=derived, measured=gap))
    constant = -sum(weight[k] * target[k] ** 2 for k in range(size * size)) / 4
    out.append(exact(derived - constant, "derived remainder = -1/4 sum G M*^2", predicted=constant, measured=derived))
    return out


@dataclass(frozen=True)
class SquareCompletionCase:
    """A seed for random rationals and the constant weight g of Setting 3.1 (an exact positive rational)."""

    seed: int
    g: str = "7/2"  # an exact rational, as SymPy's Rational parses it

    def __repr__(self) -> str:
        return f"SquareCompletionCase(seed={self.seed}, g={self.g})"


def _positive_g(case) -> str | None:
    return None if Fraction(case.g) > 0 else f"g = {case.g} must be positive"


POSITIVE_G = Hypothesis("a positive constant G_ij = g", _positive_g)


@register("T1-sym", "the derived Setting 3.1 condition (Psi- solved from G_ij = g) makes G constant; with G = g "
                    "(random rationals, V = 3) L(W) - (g/4)||WW^T - M*||_F^2 is the same at every W and equals the "
                    "derived constant -(g/4)||M*||_F^2, while with one G_ij != g it depends on W, exactly",
          source="Theorem 1 (square completion iff G constant)", tolerance="exact_count", section=2,
          hypotheses=(POSITIVE_G,))
def square_completion_exact(case: SquareCompletionCase) -> list:
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import g

    problem = symbolic.qwem_problem(2)
    weight = (problem.psi_pos.multiply_elementwise(problem.joint)
              + problem.psi_neg.multiply_elementwise(problem.unigram * problem.unigram.T)
              ).subs(symbolic.square_completion_condition())
    out = [exact(weight - g * sp.ones(2, 2), "G under the derived condition = g (V = 2, symbolic)",
                 predicted=g * sp.ones(2, 2), measured=weight)]

    rng, size, g_value = np.random.default_rng(case.seed), 3, sp.Rational(case.g)
    joint, unigram = symmetric(rationals(rng, (size, size))), rationals(rng, (size, 1))
    psi_pos = symmetric(rationals(rng, (size, size)))
    # Setting 3.1 weights chosen here, independently: Psi-_ij P_i P_j = g - Psi+_ij P_ij.
    psi_neg = sp.Matrix(size, size, lambda i, j: (g_value - psi_pos[i, j] * joint[i, j]) / (unigram[i] * unigram[j]))

    def completion_gap(w, psi_neg):
        loss, _, target = explicit_qwem(w, joint, unigram, psi_pos, psi_neg)
        error = sum(((w * w.T)[k] - target[k]) ** 2 for k in range(size * size))
        return loss - g_value / 4 * error, -g_value / 4 * sum(target[k] ** 2 for k in range(size * size))

    w1, w2 = signed_rationals(rng, (size, 1)), signed_rationals(rng, (size, 1))
    gap1, constant = completion_gap(w1, psi_neg)
    gap2, _ = completion_gap(w2, psi_neg)
    out += [exact(gap1 - gap2, "L - (g/4)||WW^T - M*||^2 at two random W", predicted=gap1, measured=gap2),
            exact(gap1 - constant, "L - (g/4)||WW^T - M*||^2 = -(g/4)||M*||^2", predicted=constant, measured=gap1)]
    perturbed = psi_neg.copy()
    perturbed[0, 1] = perturbed[1, 0] = psi_neg[0, 1] * 2  # G_01 != g now
    moved = completion_gap(w1, perturbed)[0] - completion_gap(w2, perturbed)[0]
    out.append(Measurement(float(nonzero_entries(moved) == 0), predicted="depends on W", measured=moved,
                           what="with G_01 != g, L - (g/4)||WW^T - M*||^2 still the same at two W (1 = yes)"))

    setting = symbolic.setting31_problem(3)
    own_target = (2 * setting.psi_pos.multiply_elementwise(setting.joint) - g * sp.ones(3, 3)) / (g / 2)
    own_constant = -g / 4 * sum(entry ** 2 for entry in own_target)
    derived = symbolic.square_completion()
    out.append(exact(derived - own_constant, "derived constant = -(g/4)||M*||^2, M* = 2(2 Psi+ P - g)/g (V = 3, "
                                             "symbolic)", predicted=own_constant, measured=derived))
    return out


# ---------------------------------------------------------------------------------------------- §2: GF1

@register("GF1", "on explicit Setting 3.1 matrices (random rationals, V = 3, d = 2, g = 5/2), -(1/(2g)) dL/dW of the "
                 "QWEM loss is the derived flow -1/2 (WW^T - M*) W and d(WW^T)/dt along it is the derived Riccati "
                 "form -1/2 [(WW^T - M*) WW^T + WW^T (WW^T - M*)], exactly",
          source="THEORY §2 gradient-flow convention", tolerance="exact_count", section=2)
def gradient_flow_exact(case: RationalCase) -> list:
    import sympy as sp

    from theory import symbolic

    rng, size, dim, weight_scale = case.rng(), 3, 2, sp.Rational(5, 2)
    joint, unigram = symmetric(rationals(rng, (size, size))), rationals(rng, (size, 1))
    psi_pos = symmetric(rationals(rng, (size, size)))
    psi_neg = sp.Matrix(size, size,
                        lambda i, j: (weight_scale - psi_pos[i, j] * joint[i, j]) / (unigram[i] * unigram[j]))
    w_free = sp.Matrix(size, dim, lambda i, j: sp.Symbol(f"v{i}{j}"))
    loss, weight, target = explicit_qwem(w_free, joint, unigram, psi_pos, psi_neg)
    gradient = sp.Matrix(size, dim, lambda i, j: sp.diff(loss, w_free[i, j]))
    w = signed_rationals(rng, (size, dim))
    velocity = (-gradient / (2 * weight_scale)).subs(dict(zip(w_free, w)))
    derived = sp.Matrix(symbolic.gradient_flow().subs({symbolic.W_SYMBOL: w, symbolic.M_SYMBOL: target}).doit())
    gram_rate = velocity * w.T + w * velocity.T
    riccati = sp.Matrix(symbolic.riccati().subs({symbolic.S_SYMBOL: w * w.T, symbolic.M_SYMBOL: target}).doit())
    return [exact(weight - weight_scale * sp.ones(size, size), "G = g for the chosen Psi-", measured=weight),
            exact(derived - velocity, "derived gradient_flow() = -(1/2g) dL/dW", predicted=velocity, measured=derived),
            exact(velocity + (w * w.T - target) * w / 2, "-(1/2g) dL/dW = -1/2 (WW^T - M*) W", measured=velocity),
            exact(riccati - gram_rate, "derived riccati() = dW/dt W^T + W dW/dt^T", predicted=gram_rate,
                  measured=riccati)]


# ---------------------------------------------------------------------------------------------- §2: L31-sym

@dataclass(frozen=True)
class LogisticCase:
    """One mode: eigenvalue lam > 0, initial height u0 = s^2(0), and a seed for a random eigenbasis and frame."""

    eigenvalue: float
    initial: float
    seed: int = 0

    def __repr__(self) -> str:
        return f"LogisticCase(lam={self.eigenvalue!r}, u0={self.initial!r}, seed={self.seed})"


def _below_tenth(case) -> str | None:
    if case.eigenvalue > 0 and 0 < case.initial < case.eigenvalue / 10:
        return None
    return f"needs lam > 0 and 0 < u0 < lam/10 (so the 10-90 % rise is defined), got lam={case.eigenvalue}, " \
           f"u0={case.initial}"


GROWING_MODE = Hypothesis("lam > 0 and 0 < u0 < lam / 10", _below_tenth)


@functools.cache
def _logistic_identities() -> tuple:
    """Lemma 3.1's derived expressions, by substitution (case-independent: checked once per process)."""
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import lam, t, u, u0

    solution = symbolic.mode_solution()
    height = lam / (2 - u0 / lam)
    tau = sp.log(lam / u0) / lam
    return (
        Measurement(float(not symbolic.flow_equivariance()), predicted=True, measured=symbolic.flow_equivariance(),
                    what="flow_equivariance(): F(QWU; QMQ^T) = Q F(W; M) U", tolerance="exact_count"),
        exact(symbolic.mode_ode() - u * (lam - u), "mode_ode() = u (lam - u)", predicted=u * (lam - u),
              measured=symbolic.mode_ode()),
        exact(sp.diff(solution, t) - solution * (lam - solution), "d/dt mode_solution() - u (lam - u)",
              measured=solution),
        exact(solution.subs(t, 0) - u0, "mode_solution() at t = 0 is u0", measured=solution.subs(t, 0)),
        exact(symbolic.mode_solution_stable().subs(symbolic.z, sp.exp(-lam * t)) - solution,
              "mode_solution_stable() with z = e^(-lam t) = mode_solution()", measured=symbolic.mode_solution_stable()),
        exact(solution.subs(t, symbolic.step_time()) - lam / 2, "mode_solution() at step_time() = lam/2",
              measured=symbolic.step_time()),
        exact(symbolic.characteristic_time() - tau, "characteristic_time() = ln(lam/u0)/lam", predicted=tau,
              measured=symbolic.characteristic_time()),
        exact(solution.subs(t, tau) - height, "mode_solution() at ln(lam/u0)/lam = lam/(2 - u0/lam)",
              predicted=height, measured=solution.subs(t, tau)),
        exact(symbolic.height_at_characteristic_time() - height, "height_at_characteristic_time() = lam/(2 - u0/lam)",
              predicted=height, measured=symbolic.height_at_characteristic_time()),
        exact(symbolic.rise_time_10_90() - 2 * sp.log(9) / lam, "rise_time_10_90() = 2 ln 9 / lam",
              predicted=2 * sp.log(9) / lam, measured=symbolic.rise_time_10_90()),
    )


@functools.cache
def _lambdified_logistic() -> tuple:
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import lam, t, u, u0

    return (sp.lambdify((u, lam), symbolic.mode_ode(), "numpy"),
            sp.lambdify((t, lam, u0), symbolic.mode_solution(), "numpy"),
            sp.lambdify(lam, symbolic.rise_time_10_90(), "numpy"))


@register("L31-sym", "for an aligned W(0) = V_d diag(s(0)) U0^T with lam_1..lam_d > 0, the flow keeps the singular "
                     "vectors and each u = s_k^2 obeys the derived du/dt = u (lam - u), solved by the derived "
                     "logistic (equal to solve_ivp's) with half height at ln(lam/u0 - 1)/lam, s^2(tau) = "
                     "lam/(2 - u0/lam) at tau = ln(lam/u0)/lam and a 10-90 % rise of 2 ln 9 / lam (0 < u0 < lam/10)",
          source="Lemma 3.1 (aligned init, logistic solution and its times)", tolerance="identity", section=2,
          hypotheses=(GROWING_MODE,))
def aligned_modes_are_logistic(case: LogisticCase) -> list:
    import scipy.optimize
    from scipy.integrate import solve_ivp

    out = list(_logistic_identities())
    ode, trajectory, rise = _lambdified_logistic()
    rng = np.random.default_rng(case.seed)
    # Numerically, in a random eigenbasis and right frame: dW/dt stays in the frame, d(s^2)/dt = mode_ode.
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
    out.append(Measurement(float(np.max(np.abs(off_frame))), scale=float(np.max(np.abs(rates))),
                           what="dW/dt off the aligned frame (singular vectors moving), relative to the mode rates"))
    predicted_rates = ode(strengths ** 2, eigenvalues[:dim])
    out.append(Measurement(relative(2 * strengths * rates, predicted_rates), predicted_rates, 2 * strengths * rates,
                           what="d(s_k^2)/dt of the numpy flow vs the lambdified mode_ode()"))
    # theory.dynamics.mode_trajectory (what the predictions evaluate) against solve_ivp on log u
    # (rtol = atol = 1e-12; log u keeps relative accuracy while u is tiny).
    lam_value, initial = case.eigenvalue, case.initial
    horizon = 3 * np.log(lam_value / initial) / lam_value
    times = np.linspace(0, horizon, 40)
    numeric = np.exp(solve_ivp(lambda _, y: lam_value - np.exp(y), (0, horizon), [np.log(initial)],
                               method="DOP853", t_eval=times, rtol=1e-12, atol=1e-12).y[0])
    closed = dynamics.mode_trajectory(times, lam_value, initial)
    out.append(Measurement(float(np.max(np.abs(numeric - closed))), scale=lam_value, tolerance="mode_ode",
                           what="max |solve_ivp - mode_trajectory| over 40 times, relative to lam"))
    # The 10-90 % rise by root-finding on the lambdified logistic.
    end = 4 * np.log(lam_value / initial) / lam_value

    def crossing(level):
        return scipy.optimize.brentq(lambda time: trajectory(time, lam_value, initial) - level * lam_value,
                                     0.0, end, xtol=1e-15, rtol=4 * np.finfo(float).eps)

    measured = crossing(0.9) - crossing(0.1)
    out.append(Measurement(abs(measured - float(rise(lam_value))), float(rise(lam_value)), measured, scale=end,
                           what="10-90 % rise by brentq vs 2 ln 9 / lam, relative to the 4 tau horizon"))
    return out


# ---------------------------------------------------------------------------------------------- §2: SYM-NUM

@dataclass(frozen=True)
class ModeNumericsCase:
    """Where theory.dynamics is compared with the derived expressions: lam, u0, a time t and a fraction f."""

    eigenvalue: float
    initial: float
    time: float
    fraction: float

    def __repr__(self) -> str:
        return f"lam={self.eigenvalue!r}, u0={self.initial!r}, t={self.time!r}, f={self.fraction!r}"


def _in_domain(case) -> str | None:
    if not (case.eigenvalue > 0 and 0 < case.initial < case.eigenvalue / 2):
        return f"needs lam > 0 and 0 < u0 < lam/2, got lam={case.eigenvalue}, u0={case.initial}"
    if not 0 < case.fraction < 1:
        return f"needs 0 < f < 1, got f={case.fraction}"
    if not 0 <= case.time * case.eigenvalue <= 60:
        return f"needs 0 <= lam t <= 60 (exp(lam t) finite in the plain dsolve form), got lam t = " \
               f"{case.time * case.eigenvalue:.4g}"
    return None


MODE_DOMAIN = Hypothesis("0 < u0 < lam/2, 0 < f < 1, 0 <= lam t <= 60", _in_domain)


@functools.cache
def _lambdified_mode_numerics() -> dict:
    """The derived Lemma 3.1 expressions, lambdified once (what theory.dynamics must reproduce)."""
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import f, lam, t, u0

    return {"step_time": sp.lambdify((lam, u0), symbolic.step_time(), "numpy"),
            "characteristic_time": sp.lambdify((lam, u0), symbolic.characteristic_time(), "numpy"),
            "mode_solution": sp.lambdify((t, lam, u0), symbolic.mode_solution(), "numpy"),
            "time_at_fraction": sp.lambdify((f, lam, u0), symbolic.time_at_fraction(), "numpy")}


@register("SYM-NUM", "each theory.dynamics function (half_height_time, characteristic_time, time_to_fraction, "
                     "mode_trajectory) equals its lambdified SymPy expression from theory.symbolic to float64 "
                     "rounding, for 0 < u0 < lam/2, 0 < f < 1 and up to 60 e-folds (lam t <= 60)",
          source="THEORY §2 (Lemma 3.1 numerics = derived expressions)", tolerance="identity", section=2,
          hypotheses=(MODE_DOMAIN,))
def numerics_equal_derivation(case: ModeNumericsCase) -> list:
    lam_value, initial, time, fraction = case.eigenvalue, case.initial, case.time, case.fraction
    derived = _lambdified_mode_numerics()
    unit = 1.0 / lam_value  # times are compared in units of 1/lam: a log near 1 is small but exact to eps/lam
    pairs = [
        ("half_height_time = step_time", dynamics.half_height_time(lam_value, initial),
         derived["step_time"](lam_value, initial), unit),
        ("characteristic_time", dynamics.characteristic_time(lam_value, initial),
         derived["characteristic_time"](lam_value, initial), unit),
        ("time_to_fraction = time at u = f lam", dynamics.time_to_fraction(lam_value, initial, fraction),
         derived["time_at_fraction"](fraction, lam_value, initial), unit),
        ("mode_trajectory = mode_solution", dynamics.mode_trajectory(time, lam_value, initial),
         derived["mode_solution"](time, lam_value, initial), lam_value),
    ]
    return [Measurement(abs(float(numeric) - float(expression)), float(expression), float(numeric),
                        scale=max(abs(float(expression)), floor), what=what)
            for what, numeric, expression, floor in pairs]


# ---------------------------------------------------------------------------------------------- §3: LIN1-sym

@dataclass(frozen=True)
class LinearCase:
    """A seed for random rationals and a 2 x 2 M* = Q(a) diag(l0, l1) Q(a)^T (Q a rotation) at time t."""

    seed: int
    slope: float = 0.37
    l0: float = 1.3
    l1: float = -0.6
    time: float = 2.1

    def __repr__(self) -> str:
        return f"LinearCase(seed={self.seed}, a={self.slope}, l=({self.l0}, {self.l1}), t={self.time})"


@functools.cache
def _linear_identities() -> tuple:
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import lam, t, u0

    target = sp.Matrix([[1, 2], [2, -1]])
    start = sp.Matrix([[sp.Rational(1, 3)], [-2]])
    propagator = (t * target / 2).exp()  # SymPy's own Matrix.exp on a numeric M
    first_order = sp.series(symbolic.mode_solution(), u0, 0, 2).removeO()
    return (exact(sp.diff(propagator * start, t) - target * propagator * start / 2,
                  "d/dt exp(tM/2) W0 - 1/2 M exp(tM/2) W0 (SymPy's Matrix.exp, M = [[1, 2], [2, -1]])"),
            exact(first_order - symbolic.early_mode_growth(), "first order in u0 of mode_solution() = "
                  "early_mode_growth()", predicted=first_order, measured=symbolic.early_mode_growth()),
            exact(symbolic.early_mode_growth() - u0 * sp.exp(lam * t), "early_mode_growth() = u0 e^(lam t)",
                  predicted=u0 * sp.exp(lam * t), measured=symbolic.early_mode_growth()))


@register("LIN1-sym", "in the early regime the derived small-W limit of the flow is dW/dt = 1/2 M* W (checked "
                      "exactly on random rationals), its derived propagator exp(tM*/2) equals scipy's expm, and the "
                      "derived early growth u0 e^(lam t) is the first-order term in u0 of the logistic",
          source="THEORY §3 (early linear regime)", tolerance="identity", section=3)
def linear_regime(case: LinearCase) -> list:
    import scipy.linalg
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import t

    out = list(_linear_identities())
    derived = symbolic.linear_solution().subs({sp.Symbol("a", real=True): case.slope,
                                               sp.Symbol("l_0", real=True): case.l0,
                                               sp.Symbol("l_1", real=True): case.l1, t: case.time})
    angle = 2 * np.arctan(case.slope)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    expected = scipy.linalg.expm(case.time * rotation @ np.diag([case.l0, case.l1]) @ rotation.T / 2)
    derived = np.array(derived, dtype=float)
    out.append(Measurement(relative(derived, expected), expected, derived,
                           what="derived linear_solution() vs scipy.linalg.expm(t M*/2)"))
    rng = np.random.default_rng(case.seed)
    epsilon = sp.Symbol("eps", positive=True)
    w = signed_rationals(rng, (3, 2))
    m = symmetric(signed_rationals(rng, (3, 3)))
    small = (-(epsilon * w * (epsilon * w).T - m) * epsilon * w / 2) / epsilon
    limit = small.applyfunc(lambda item: sp.limit(item, epsilon, 0))
    derived_linear = sp.Matrix(symbolic.linear_flow().subs({symbolic.W_SYMBOL: w, symbolic.M_SYMBOL: m}).doit())
    out.append(exact(derived_linear - limit, "derived linear_flow() = lim_(eps -> 0) flow(eps W) / eps",
                     predicted=limit, measured=derived_linear))
    return out


# ---------------------------------------------------------------------------------------------- §4: GD-map

@dataclass(frozen=True)
class GdMapCase:
    """A seed for a random eigenbasis and frame, GD's learning rate there, and an eigenvalue to iterate the map at."""

    seed: int
    learning_rate: float = 0.3
    eigenvalue: float = 1.7

    def __repr__(self) -> str:
        return f"GdMapCase(seed={self.seed}, eta={self.learning_rate}, lam={self.eigenvalue})"


def _positive_rates(case) -> str | None:
    if case.learning_rate > 0 and case.eigenvalue > 0:
        return None
    return f"needs eta > 0 and lam > 0, got eta={case.learning_rate}, lam={case.eigenvalue}"


POSITIVE_STEP = Hypothesis("eta > 0 and lam > 0", _positive_rates)
# Iterating the map from s^2 = lam (1 + 1e-3)^2: 5 % inside eta = 2/lam the multiplier is |1 - 1.9| = 0.9
# (3000 steps shrink the deviation to rounding); 5 % outside it is 1.1 in magnitude.
GD_MAP_PERTURBATION, GD_MAP_ITERATIONS = 1e-3, 3000


@functools.cache
def _gd_map_identities() -> tuple:
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import eta, lam, s

    own_map = s + eta * s * (lam - s ** 2) / 2
    bound = symbolic.gd_stability_bound()
    multiplier = sp.diff(own_map, s).subs(s, sp.sqrt(lam))
    return (exact(symbolic.gd_mode_map() - own_map, "gd_mode_map() = s + eta s (lam - s^2)/2", predicted=own_map,
                  measured=symbolic.gd_mode_map()),
            exact(own_map.subs(s, sp.sqrt(symbolic.gd_fixed_point())) - sp.sqrt(lam),
                  "the map fixes s = sqrt(gd_fixed_point())", measured=symbolic.gd_fixed_point()),
            exact(symbolic.gd_fixed_point() - lam, "gd_fixed_point() = lam", predicted=lam,
                  measured=symbolic.gd_fixed_point()),
            exact(symbolic.gd_fixed_point_multiplier() - multiplier, "gd_fixed_point_multiplier() = d map/ds at "
                  "sqrt(lam)", predicted=multiplier, measured=symbolic.gd_fixed_point_multiplier()),
            exact(bound - 2 / lam, "gd_stability_bound() = 2/lam", predicted=2 / lam, measured=bound))


@register("GD-map", "a full-batch GD step W <- W - eta/2 (WW^T - M*) W keeps an aligned W aligned and sends each "
                    "s_k to the derived s (1 + eta (lam - s^2)/2), whose fixed point s^2 = lam has multiplier "
                    "1 - eta lam: iterated 5 % inside the derived bound eta = 2/lam it converges, 5 % outside it "
                    "leaves (eta, lam > 0)",
          source="THEORY §4 (full-batch GD; stability eta lam < 2)", tolerance="identity", section=4,
          hypotheses=(POSITIVE_STEP,))
def gd_mode_map(case: GdMapCase) -> list:
    import sympy as sp

    from theory import symbolic
    from theory.symbolic import eta, lam, s

    out = list(_gd_map_identities())
    rng = np.random.default_rng(case.seed)
    size, dim, learning_rate = 5, 2, case.learning_rate
    basis, frame = random_orthogonal(rng, size), random_orthogonal(rng, dim)
    eigenvalues = np.array([2.5, 1.2, 0.4, -0.3, -1.0])
    target = basis @ np.diag(eigenvalues) @ basis.T
    strengths = np.array([0.7, 1.4])
    w = basis[:, :dim] @ np.diag(strengths) @ frame.T
    stepped = basis.T @ (w + learning_rate * flow(w, target)) @ frame
    mode_map = sp.lambdify((s, eta, lam), symbolic.gd_mode_map(), "numpy")
    predicted = np.diag(mode_map(strengths, learning_rate, eigenvalues[:dim]))
    out.append(Measurement(relative(stepped[:dim], predicted), predicted, stepped[:dim],
                           what="numpy GD step on the aligned modes vs the lambdified gd_mode_map()"))
    out.append(Measurement(float(np.max(np.abs(stepped[dim:]))),
                           what="GD step's component off the top-d eigenvectors (alignment kept)"))
    step = sp.lambdify((s, eta, lam), s + eta * s * (lam - s ** 2) / 2, "numpy")
    bound = float(symbolic.gd_stability_bound().subs(lam, case.eigenvalue))
    for factor in (0.95, 1.05):
        value = np.sqrt(case.eigenvalue) * (1 + GD_MAP_PERTURBATION)
        for _ in range(GD_MAP_ITERATIONS):
            value = step(value, factor * bound, case.eigenvalue)
        deviation = abs(value ** 2 - case.eigenvalue) / case.eigenvalue
        if factor < 1:
            out.append(Measurement(float(deviation), 0.0, deviation,
                                   what=f"|s^2 - lam| / lam after {GD_MAP_ITERATIONS} steps at eta = 0.95 x 2/lam"))
        else:
            require(deviation > 2 * GD_MAP_PERTURBATION, "at eta = 1.05 x 2/lam the map leaves its fixed point",
                    predicted=f"> {2 * GD_MAP_PERTURBATION:g}", measured=deviation)
    return out
