"""SymPy derivations of the learning dynamics (THEORY §1-§2): each result derived, self-checked and cached.

The chain, each step one cached function whose docstring names the statement it derives:
1. `sgns_pair_loss`, `sgns_taylor`, `qwem_pair_loss`, `taylor_remainder_coefficient` (QWEM from SGNS);
2. `weighted_square_completion` (Proposition 2), `square_completion_condition` and `square_completion`
   (Theorem 1);
3. `gradient_flow`, `riccati` (the flow dW/dt = -1/2 (WW^T - M*) W and its closed Gram equation);
4. `flow_equivariance`, `aligned_flow`, `mode_ode`, `mode_solution`, `step_time`, `characteristic_time`,
   `time_at_fraction`, `height_at_characteristic_time`, `rise_time_10_90` (Lemma 3.1);
5. `gd_mode_map`, `gd_fixed_point`, `gd_fixed_point_multiplier`, `gd_stability_bound` (THEORY §4);
6. `linear_flow`, `linear_solution`, `early_mode_growth` (early, small-W regime).
Every step raises AssertionError if the algebra it relies on does not close, so a derivation that
went wrong cannot silently hand back a wrong expression. Symbolic matrices stay small (V d <= 20):
the identities are entrywise polynomial, so a small vocabulary exercises every kind of term.

The numerics that evaluate these results live in theory/dynamics.py (plain NumPy, so that simulators
never import SymPy); the claim SYM-NUM checks that they equal the expressions derived here.
`w2v-theory derive` displays the chain through theory/derivation_chain.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

# Symbols shared by every derivation; names match the keys of `w2v-theory derive --json`.
x = sp.Symbol("x", real=True)
t = sp.Symbol("t", nonnegative=True)
lam = sp.Symbol("lam", positive=True)
u = sp.Symbol("u", positive=True)
u0 = sp.Symbol("u0", positive=True)
s = sp.Symbol("s", positive=True)
eta = sp.Symbol("eta", positive=True)
g = sp.Symbol("g", positive=True)
# z = exp(-lam t): the trajectory is rewritten in z so that it never overflows at late times.
z = sp.Symbol("z", positive=True)
# f: a fraction of the final height lam (0 < f < 1).
f = sp.Symbol("f", positive=True)
# eps scales W in the small-initialisation expansion; c = eta * lam is the scale-free step size.
eps = sp.Symbol("eps", positive=True)
_c = sp.Symbol("c", real=True)

# Symbols of the published scalar expressions, by name (for parsing `derive --json` back).
SYMBOLS: dict[str, sp.Symbol] = {sym.name: sym for sym in (x, t, lam, u, u0, s, eta, g, z)}


def _require_zero(expr, what: str) -> None:
    """Raise if `expr` (scalar or Matrix) is not identically zero.

    Every checked expression is rational in its symbols (rotations are parametrised rationally), so
    `cancel` decides zero exactly and fast; `simplify` is only a fallback for anything else.
    """
    items = expr if isinstance(expr, sp.MatrixBase) else [expr]
    for item in items:
        if sp.cancel(item) != 0 and sp.simplify(item) != 0:
            raise AssertionError(f"derivation failed: {what} (residual {item})")


def _coefficients(expr, gens) -> dict:
    """{monomial in gens: coefficient} of an expression polynomial in gens with rational coefficients.

    Grouping the expanded terms by hand keeps each coefficient small (sp.Poly over a fraction field in
    dozens of symbols is orders of magnitude slower).
    """
    groups: dict = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        coefficient, monomial = term.as_independent(*gens, as_Add=False)
        groups[monomial] = groups.get(monomial, sp.S.Zero) + coefficient
    return groups


def _require_zero_by_denominator(expr, what: str) -> None:
    """Like `_require_zero` for a sum of per-pair fractions: cancel the terms sharing a denominator together.

    Putting V^2 distinct denominators over one common denominator is what makes a direct `cancel` slow.
    """
    groups: dict = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        # The symbols of a denominator name its pair; (a + b) and its expanded powers share them.
        key = frozenset(sp.denom(term).free_symbols)
        groups[key] = groups.get(key, sp.S.Zero) + term
    for group in groups.values():
        _require_zero(group, what)


# --------------------------------------------------------------------------------------------------
# Step 1: QWEM pair terms from the Taylor series of the SGNS pair losses (THEORY §1).


@cache
def sgns_pair_loss(sign: int) -> sp.Expr:
    """SGNS pair loss: log(1 + e^{-x}) for a positive pair (sign = +1), log(1 + e^{x}) for a negative (-1)."""
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, got {sign}")
    return sp.log(1 + sp.exp(-sign * x))


@cache
def sgns_taylor(sign: int, order: int = 5) -> sp.Expr:
    """Taylor series of the SGNS pair loss at x = 0 up to x^(order-1): log 2 -+ x/2 + x^2/8 - x^4/192 + ..."""
    return sp.series(sgns_pair_loss(sign), x, 0, order).removeO()


@cache
def taylor_remainder_coefficient() -> sp.Rational:
    """The first coefficient QWEM drops: x^4 of log(1 + e^{-+x}) is -1/192 (x^3 is 0: exact to third order)."""
    for sign in (1, -1):
        series = sp.expand(sgns_taylor(sign))
        if series.coeff(x, 3) != 0:
            raise AssertionError("the cubic Taylor coefficient of the SGNS pair loss is not zero")
    quartic = {sp.expand(sgns_taylor(sign)).coeff(x, 4) for sign in (1, -1)}
    if len(quartic) != 1:
        raise AssertionError("the x^4 coefficients of the positive and negative pair losses differ")
    return quartic.pop()


@cache
def qwem_pair_loss(sign: int) -> sp.Expr:
    """QWEM pair term: the SGNS series to third order, log 2 dropped, times 2: x^2/4 - x (+1), x^2/4 + x (-1)."""
    series = sp.expand(sgns_taylor(sign, order=4))
    return sp.expand(2 * (series - series.coeff(x, 0)))


# --------------------------------------------------------------------------------------------------
# Step 2: square completion (Theorem 1, Proposition 2).


def _symmetric(name: str, size: int, **assumptions) -> sp.Matrix:
    """A size x size symmetric matrix of symbols name_ij (i <= j)."""
    return sp.Matrix(size, size, lambda i, j: sp.Symbol(f"{name}_{min(i, j)}{max(i, j)}", **assumptions))


def _upper(matrix: sp.Matrix) -> list:
    """The distinct entries of a symmetric matrix (i <= j)."""
    n = matrix.rows
    return [matrix[i, j] for i in range(n) for j in range(i, n)]


def _embedding(size: int, dim: int) -> sp.Matrix:
    return sp.Matrix(size, dim, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))


@dataclass(frozen=True)
class QwemProblem:
    """Symbolic corpus statistics and weights on a small vocabulary, with G and M* built from them."""

    joint: sp.Matrix      # P_ij (symmetric)
    unigram: sp.Matrix    # P_i (column)
    psi_pos: sp.Matrix    # Psi+ (symmetric)
    psi_neg: sp.Matrix    # Psi- (symmetric)

    @property
    def positive(self) -> sp.Matrix:
        """Psi+_ij P_ij, the weight of the positive pair term."""
        return self.psi_pos.multiply_elementwise(self.joint)

    @property
    def negative(self) -> sp.Matrix:
        """Psi-_ij P_i P_j, the weight of the negative pair term."""
        return self.psi_neg.multiply_elementwise(self.unigram * self.unigram.T)

    @property
    def weight(self) -> sp.Matrix:
        """G_ij = Psi+_ij P_ij + Psi-_ij P_i P_j."""
        return self.positive + self.negative

    @property
    def target(self) -> sp.Matrix:
        """M*_ij = (Psi+_ij P_ij - Psi-_ij P_i P_j) / (G_ij / 2)."""
        a, b = self.positive, self.negative
        return sp.Matrix(a.rows, a.cols, lambda i, j: 2 * (a[i, j] - b[i, j]) / (a[i, j] + b[i, j]))

    def loss(self, w: sp.Matrix) -> sp.Expr:
        """QWEM loss as a sum over pairs of the step-1 pair terms, x = w_i . w_j."""
        gram = w * w.T
        a, b = self.positive, self.negative
        plus, minus = qwem_pair_loss(1), qwem_pair_loss(-1)
        return sp.Add(*[a[i, j] * plus.subs(x, gram[i, j]) + b[i, j] * minus.subs(x, gram[i, j])
                        for i in range(gram.rows) for j in range(gram.cols)])


def qwem_problem(size: int) -> QwemProblem:
    """Free positive symbols for P_ij, P_i, Psi+, Psi- (P_i need not be P's marginals: the algebra never uses it)."""
    return QwemProblem(joint=_symmetric("P", size, positive=True),
                       unigram=sp.Matrix(size, 1, lambda i, _: sp.Symbol(f"p_{i}", positive=True)),
                       psi_pos=_symmetric("psiplus", size, positive=True),
                       psi_neg=_symmetric("psiminus", size, positive=True))


def _weighted_error(weight: sp.Matrix, w: sp.Matrix, target: sp.Matrix) -> sp.Expr:
    """Sum_ij weight_ij ((WW^T)_ij - M*_ij)^2."""
    residual = w * w.T - target
    return sp.Add(*[weight[i, j] * residual[i, j] ** 2 for i in range(residual.rows) for j in range(residual.cols)])


@cache
def weighted_square_completion(size: int = 3, dim: int = 1) -> sp.Expr:
    """Proposition 2: L(W) - 1/4 sum_ij G_ij (WW^T - M*)_ij^2 = -1/4 sum_ij G_ij M*_ij^2 for any symmetric Psi.

    Returns the W-independent remainder, derived by cancelling the difference and checking that every
    derivative in W vanishes.
    """
    problem = qwem_problem(size)
    w = _embedding(size, dim)
    gap = problem.loss(w) - sp.Rational(1, 4) * _weighted_error(problem.weight, w, problem.target)
    coefficients = _coefficients(gap, w)
    for monomial, coefficient in coefficients.items():
        if monomial != 1:
            _require_zero(coefficient, f"Proposition 2 gap depends on W (monomial {monomial})")
    expected = -sp.Rational(1, 4) * _weighted_error(problem.weight, sp.zeros(size, dim), problem.target)
    _require_zero_by_denominator(coefficients.get(sp.S.One, sp.S.Zero) - expected,
                                 "Proposition 2 remainder is not -1/4 sum G M*^2")
    return expected


@cache
def square_completion_condition(size: int = 2, dim: int = 1) -> dict:
    """Theorem 1, 'exactly when': L(W) - (g/4)||WW^T - M*||^2 is W-independent iff G_ij = g for all i, j.

    Derived by requiring every coefficient of the difference, a polynomial in W, to vanish and solving
    for Psi-. Returns {Psi-_ij: solution}; each solution makes G_ij = g.
    """
    problem = qwem_problem(size)
    w = _embedding(size, dim)
    gap = problem.loss(w) - g / 4 * _weighted_error(sp.ones(size, size), w, problem.target)
    poly = sp.Poly(sp.expand(gap), *w)
    equations = [sp.numer(sp.together(coeff)) for monom, coeff in poly.terms() if any(monom)]
    unknowns = _upper(problem.psi_neg)
    solutions = sp.solve(equations, unknowns, dict=True)
    if len(solutions) != 1:
        raise AssertionError(f"Theorem 1 condition: expected one solution for Psi-, got {solutions}")
    (solution,) = solutions
    _require_zero(problem.weight.subs(solution) - g * sp.ones(size, size), "Theorem 1 condition is not G = g")
    return solution


def setting31_problem(size: int) -> QwemProblem:
    """A symbolic problem in Setting 3.1: Psi- solved from G_ij = g (the condition of Theorem 1)."""
    problem = qwem_problem(size)
    unigram = problem.unigram
    psi_neg = sp.Matrix(size, size, lambda i, j: (g - problem.psi_pos[i, j] * problem.joint[i, j])
                        / (unigram[i] * unigram[j]))
    return QwemProblem(problem.joint, unigram, problem.psi_pos, psi_neg)


@cache
def square_completion(size: int = 3, dim: int = 1) -> sp.Expr:
    """Theorem 1: under Setting 3.1 (G = g), L(W) = (g/4)||WW^T - M*||_F^2 - (g/4)||M*||_F^2 for every W.

    Returns the right-hand side's W-independent part -(g/4)||M*||_F^2 after checking the identity.
    """
    problem = setting31_problem(size)
    w = _embedding(size, dim)
    ones = sp.ones(size, size)
    constant = -g / 4 * _weighted_error(ones, sp.zeros(size, dim), problem.target)
    _require_zero(problem.loss(w) - (g / 4 * _weighted_error(ones, w, problem.target) + constant),
                  "Theorem 1 square completion")
    return constant


# --------------------------------------------------------------------------------------------------
# Step 3: gradient flow and the closed Riccati equation for the Gram matrix.

W_SYMBOL = sp.MatrixSymbol("W", 3, 2)
M_SYMBOL = sp.MatrixSymbol("M", 3, 3)
S_SYMBOL = sp.MatrixSymbol("S", 3, 3)


def flow_field(w: sp.Matrix, target: sp.Matrix) -> sp.Matrix:
    """The gradient-flow velocity -1/2 (WW^T - M*) W on explicit matrices."""
    return -(w * w.T - target) * w / 2


def riccati_field(gram: sp.Matrix, target: sp.Matrix) -> sp.Matrix:
    """-1/2 [(S - M*) S + S (S - M*)] on explicit matrices."""
    return -((gram - target) * gram + gram * (gram - target)) / 2


@cache
def gradient_flow(size: int = 3, dim: int = 2) -> sp.MatAdd:
    """Gradient flow: under Setting 3.1, -(1/(2g)) dL/dW = -1/2 (WW^T - M*) W, L the QWEM loss of step 1.

    Checked entrywise on a symbolic W (size x dim) and symbolic P, Psi+ with Psi- from G = g.
    Returns the matrix-expression form for display.
    """
    problem = setting31_problem(size)
    w = _embedding(size, dim)
    loss = problem.loss(w)
    velocity = -sp.Matrix(size, dim, lambda i, j: sp.diff(loss, w[i, j])) / (2 * g)
    _require_zero(velocity - flow_field(w, problem.target), "gradient flow is not -1/2 (WW^T - M*) W")
    return -(W_SYMBOL * W_SYMBOL.T - M_SYMBOL) * W_SYMBOL / 2


@cache
def riccati(size: int = 3, dim: int = 2) -> sp.MatAdd:
    """Riccati equation: along the flow, d(WW^T)/dt = -1/2 [(WW^T - M*) WW^T + WW^T (WW^T - M*)].

    Derived by the product rule d(WW^T)/dt = (dW/dt) W^T + W (dW/dt)^T on symbolic W and symmetric M*;
    the result depends on W only through S = WW^T (a closed equation). Returns the form in S.
    """
    w = _embedding(size, dim)
    target = _symmetric("m", size, real=True)
    velocity = flow_field(w, target)
    _require_zero(velocity * w.T + w * velocity.T - riccati_field(w * w.T, target),
                  "d(WW^T)/dt is not the Riccati form")
    return -((S_SYMBOL - M_SYMBOL) * S_SYMBOL + S_SYMBOL * (S_SYMBOL - M_SYMBOL)) / 2


# --------------------------------------------------------------------------------------------------
# Step 4: mode reduction on aligned W and the logistic solution (Lemma 3.1).


def _rotation(slope: sp.Symbol) -> sp.Matrix:
    """The 2 x 2 rotation by angle 2 arctan(slope), written rationally so that identities stay rational."""
    cos, sin = (1 - slope ** 2) / (1 + slope ** 2), 2 * slope / (1 + slope ** 2)
    return sp.Matrix([[cos, -sin], [sin, cos]])


@cache
def flow_equivariance() -> bool:
    """Symmetry that lets Lemma 3.1 work in M*'s eigenbasis: F(QW U; QMQ^T) = Q F(W; M) U for orthogonal Q, U.

    Checked with rotations Q, U by free angles on a symbolic 2 x 2 W and symmetric M.
    """
    q, right = _rotation(sp.Symbol("a", real=True)), _rotation(sp.Symbol("b", real=True))
    w = _embedding(2, 2)
    target = _symmetric("m", 2, real=True)
    _require_zero(flow_field(q * w * right, q * target * q.T) - q * flow_field(w, target) * right,
                  "the gradient flow is not rotation-equivariant")
    return True


@cache
def aligned_flow() -> sp.Matrix:
    """Lemma 3.1 (alignment): for W = V_d diag(s) U0^T in M*'s eigenbasis, dW/dt = V_d diag(ds/dt) U0^T.

    Worked with V = 3, d = 2, M* = diag(l_0, l_1, l_2) (enough by `flow_equivariance`) and U0 a free
    rotation: (dW/dt) U0 has no off-diagonal part, so the singular vectors never move. Returns the
    column of ds_k/dt = s_k (l_k - s_k^2) / 2. (`flow_equivariance` is checked by the chain, not here,
    so that deriving the mode solution stays quick.)
    """
    eigen = sp.symbols("l_0:3", real=True)
    strengths = sp.symbols("s_0:2", positive=True)
    frame = sp.Matrix(3, 2, lambda i, j: strengths[j] if i == j else 0)
    right = _rotation(sp.Symbol("b", real=True))
    velocity = (flow_field(frame * right.T, sp.diag(*eigen)) * right).applyfunc(sp.cancel)
    for i in range(3):
        for j in range(2):
            if i != j and velocity[i, j] != 0:
                raise AssertionError("aligned W leaves its singular frame under the flow")
    rates = sp.Matrix([sp.factor(velocity[k, k]) for k in range(2)])
    _require_zero(rates - sp.Matrix([strengths[k] * (eigen[k] - strengths[k] ** 2) / 2 for k in range(2)]),
                  "aligned mode rate is not s (lam - s^2) / 2")
    return rates


@cache
def mode_ode() -> sp.Expr:
    """Lemma 3.1: on aligned W the flow decouples into du/dt = u (lam - u) with u = s_k^2.

    From `aligned_flow`: d(s^2)/dt = 2 s ds/dt, rewritten in u = s^2.
    """
    rate = aligned_flow()[0]
    strength, eigen = sp.Symbol("s_0", positive=True), sp.Symbol("l_0", real=True)
    squared = sp.expand(2 * strength * rate).subs(eigen, lam)
    return sp.factor(squared.subs(strength, sp.sqrt(u)))


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


def _time_at_height(fraction) -> sp.Expr:
    """The t at which the logistic solution reaches u = fraction * lam."""
    (root,) = sp.solve(sp.Eq(mode_solution(), fraction * lam), t)
    return sp.simplify(root)


@cache
def time_at_fraction() -> sp.Expr:
    """The t at which the logistic solution reaches u = f lam, for a symbolic fraction f (0 < f < 1)."""
    return _time_at_height(f)


@cache
def step_time() -> sp.Expr:
    """Half-height time: the t at which u(t) = lam / 2, solved from the logistic solution."""
    return _time_at_height(sp.Rational(1, 2))


@cache
def characteristic_time() -> sp.Expr:
    """Characteristic time tau = ln(lam / u0) / lam: when the early growth u0 e^{lam t} would reach lam."""
    (root,) = sp.solve(sp.Eq(early_mode_growth(), lam), t)
    return sp.simplify(root)


@cache
def height_at_characteristic_time() -> sp.Expr:
    """s^2(tau) = lam / (2 - u0 / lam): the logistic solution at the characteristic time."""
    return sp.factor(sp.simplify(mode_solution().subs(t, characteristic_time())))


@cache
def rise_time_10_90() -> sp.Expr:
    """10 % -> 90 % rise time of a logistic mode: 2 ln 9 / lam, independent of u0."""
    rise = sp.simplify(sp.expand_log(_time_at_height(sp.Rational(9, 10)) - _time_at_height(sp.Rational(1, 10)),
                                     force=True))
    if rise.has(u0):
        raise AssertionError("the 10-90 rise time depends on the initial height")
    return rise


# --------------------------------------------------------------------------------------------------
# Step 5: full-batch gradient descent on one mode (THEORY §4).


@cache
def gd_mode_map() -> sp.Expr:
    """Discrete GD on one mode: W <- W - eta/2 (WW^T - M*) W sends an aligned mode s to s (1 + eta (lam - s^2)/2).

    Worked with V = 2, d = 1, W = (s, 0) in the eigenbasis of M* = diag(lam, mu): the update keeps W
    aligned (second entry stays 0).
    """
    mu = sp.Symbol("mu", real=True)
    w = sp.Matrix([[s], [0]])
    updated = w + eta * flow_field(w, sp.diag(lam, mu))
    if sp.simplify(updated[1]) != 0:
        raise AssertionError("a GD step moves an aligned mode out of its eigendirection")
    return sp.factor(updated[0])


@cache
def gd_fixed_point() -> sp.Expr:
    """The nonzero fixed point of the GD mode map: s^2 = lam (the learned mode, as in the flow)."""
    (root,) = sp.solve(sp.Eq(gd_mode_map(), s), s)  # s > 0: excludes s = 0 and s = -sqrt(lam)
    return sp.simplify(root ** 2)


@cache
def gd_fixed_point_multiplier() -> sp.Expr:
    """Multiplier of the GD mode map at its fixed point: d s_next / d s at s^2 = lam equals 1 - eta lam."""
    return sp.expand(sp.diff(gd_mode_map(), s).subs(s, sp.sqrt(gd_fixed_point())))


@cache
def gd_stability_bound() -> sp.Expr:
    """Largest stable step: |1 - eta lam| < 1 iff 0 < eta lam < 2, so eta < 2 / lam.

    Solved in the scale-free step c = eta lam (the multiplier depends on eta and lam only through c).
    """
    scaled = sp.simplify(gd_fixed_point_multiplier().subs(eta, _c / lam))
    if scaled.has(lam):
        raise AssertionError("the GD multiplier does not depend on eta lam alone")
    stable = sp.solveset(sp.Abs(scaled) < 1, _c, domain=sp.S.Reals)
    if not isinstance(stable, sp.Interval) or stable.inf != 0:
        raise AssertionError(f"unexpected stability set {stable}")
    return stable.sup / lam


# --------------------------------------------------------------------------------------------------
# Step 6: the early, linear regime of small W.


@cache
def linear_flow(size: int = 3, dim: int = 2) -> sp.MatMul:
    """Early regime: for W = eps W~, (dW/dt)/eps = 1/2 M* W~ + O(eps^2), so dW/dt ~ 1/2 M* W (cubic term dropped)."""
    w = _embedding(size, dim)
    target = _symmetric("m", size, real=True)
    scaled = flow_field(eps * w, target) / eps
    leading = scaled.applyfunc(lambda item: sp.expand(item).subs(eps, 0))
    _require_zero(leading - target * w / 2, "the O(eps) flow is not 1/2 M* W")
    return M_SYMBOL * W_SYMBOL / 2


@cache
def linear_solution() -> sp.Matrix:
    """Early regime: W(t) = exp(t M*/2) W(0) solves dW/dt = 1/2 M* W; checked with M* = Q diag(l) Q^T, Q a rotation.

    Returns exp(t M*/2) for the symbolic 2 x 2 M* (eigenvalues l_0, l_1, eigenvectors rotated by Q(a)).
    """
    linear_flow()
    eigen = sp.symbols("l_0:2", real=True)
    q = _rotation(sp.Symbol("a", real=True))
    target = q * sp.diag(*eigen) * q.T
    propagator = q * sp.diag(*[sp.exp(t * value / 2) for value in eigen]) * q.T
    start = _embedding(2, 1)
    trajectory = propagator * start
    _require_zero(trajectory.diff(t) - target * trajectory / 2, "exp(tM/2) W0 does not solve the linear flow")
    _require_zero(propagator.subs(t, 0) - sp.eye(2), "exp(0) is not the identity")
    return propagator


@cache
def early_mode_growth() -> sp.Expr:
    """Early regime per mode: a component along v_k grows like e^{lam t/2}, so s_k^2 = u0 e^{lam t}."""
    linear_solution()
    amplitude = sp.sqrt(u0) * sp.exp(lam * t / 2)  # the eigen-projection of exp(t M*/2) W(0)
    return sp.simplify(amplitude ** 2)
