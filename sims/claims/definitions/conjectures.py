"""Open conjectures of THEORY §6 as registry measurements: large init, untied weights, large lr, SGNS vs QWEM."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sims.claims.registry import Measurement, register, require
from theory.predictions import ClosedForm

__all__ = ["LargeInitCase", "LargeRateCase", "SgnsCase", "UntiedCase", "half_height_crossings", "mode_strengths",
           "untied_flow"]

LARGE_INIT_SAMPLES = 1500
LARGE_INIT_HORIZON = 30.0   # flow time, in units of 1 / lam_m
SGNS_RELAXATION = 4.0       # e-folds of the slowest mode after the QR-predicted last step


def mode_strengths(target: np.ndarray, directions: np.ndarray, w0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """a_k(t) = ||W(t)^T v_k||^2 along the tied gradient flow dW/dt = -1/2 (WW^T - M*) W (T x m)."""
    from scipy.integrate import solve_ivp

    size, dim = w0.shape

    def rhs(t, y):
        w = y.reshape(size, dim)
        return (-0.5 * (w @ (w.T @ w) - target @ w)).ravel()

    solution = solve_ivp(rhs, (0.0, times[-1]), w0.ravel(), method="DOP853", t_eval=times, rtol=1e-9, atol=1e-12)
    w = solution.y.T.reshape(len(times), size, dim)
    return np.sum(np.einsum("tvd,vk->tdk", w, directions) ** 2, axis=1)


def half_height_crossings(times: np.ndarray, strengths: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
    """First recorded time each a_k(t) >= lam_k / 2 (inf if never)."""
    above = strengths >= eigenvalues / 2
    return np.array([times[np.argmax(col)] if col.any() else np.inf for col in above.T])


@dataclass
class LargeInitCase:
    """One target and a W(0) of any size: the flow's mode strengths ||W^T v_k||^2 are integrated on first use."""

    prediction: ClosedForm
    initial: np.ndarray = field(repr=False)
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"LargeInitCase(V={self.prediction.size}, d={self.prediction.dim})"

    @cached_property
    def times(self) -> np.ndarray:
        lam = self.prediction.learned_eigenvalues
        return np.linspace(0.0, LARGE_INIT_HORIZON / lam[-1], LARGE_INIT_SAMPLES)

    @cached_property
    def strengths(self) -> np.ndarray:
        p = self.prediction
        return mode_strengths(p.target, p.learned_directions, self.initial, self.times)

    @cached_property
    def crossings(self) -> np.ndarray:
        return half_height_crossings(self.times, self.strengths, self.prediction.learned_eigenvalues)

    @cached_property
    def started_below(self) -> np.ndarray:
        """Modes below half height at t = 0 (the conjecture is about these only)."""
        return self.strengths[0] < self.prediction.learned_eigenvalues / 2

    @cached_property
    def leads(self) -> np.ndarray:
        """lam_(k+1) (t_(k+1) - t_k) between consecutive modes that started below half height (< 0: reversed)."""
        lam = self.prediction.learned_eigenvalues[self.started_below]
        return lam[1:] * np.diff(self.crossings[self.started_below])


@register("C-LARGE-INIT-ORDER",
          "From a random init with sigma in [0.1, 1] (entries N(0, sigma^2)), the eigen-directions still reach half "
          "height in decreasing-eigenvalue order: ||W^T v_k||^2 crosses lam_k/2 no later than ||W^T v_(k+1)||^2 "
          "(modes already above half height at t = 0 excepted).",
          source="open question (THEORY §6)", tolerance="exact_count", section=6, kind="conjecture",
          rationale="THEORY §6 asks whether the order survives a larger init. Each step then takes O(1/lam_k), "
                    "not O(ln(1/sigma^2)/lam_k), so the steps overlap, but the faster growth of larger-lam modes "
                    "might still put them first; random initial strengths could reverse close pairs.")
def large_init_order(case: LargeInitCase) -> Measurement:
    crossing = case.crossings[case.started_below]
    reversed_pairs = int(np.count_nonzero(np.diff(crossing) < 0))
    return Measurement(float(reversed_pairs), predicted=np.sort(crossing), measured=crossing,
                       what="consecutive modes (starting below half height) crossing lam_k/2 out of order")


@dataclass
class SgnsCase:
    """Co-occurrences, QWEM's closed form and W(0); SGNS by pair-sampled SGD (Setting 3.1, k = 1) runs on first use.

    `steps` defaults to the conjecture's stopping time: the QR-predicted last step plus SGNS_RELAXATION / lam_m
    of flow time, at the SGD step -> flow-time map dt = 2 lr (sims/simulators/sgd.py).
    """

    stats: object = field(repr=False)
    prediction: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    lr: float = 0.01
    batch: int = 2048
    seed: int = 0
    steps: int | None = None
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"SgnsCase(V={self.prediction.size}, d={self.prediction.dim}, steps={self.planned_steps})"

    @cached_property
    def planned_steps(self) -> int:
        if self.steps:
            return int(self.steps)
        p = self.prediction
        t_stop = float(np.max(p.random_step_times(self.initial)) + SGNS_RELAXATION / p.learned_eigenvalues[-1])
        return int(np.ceil(t_stop / (2 * self.lr)))

    @cached_property
    def result(self):
        from sims.simulators.sgd import run_sgd

        return run_sgd(self.stats, self.prediction, self.initial, self.lr, self.planned_steps, batch=self.batch,
                       loss="sgns", seed=self.seed, device="cpu", dtype="float64")


@register("C-SGNS-SUBSPACE",
          "SGNS trained by pair-sampled SGD under Setting 3.1 (Psi = 1/(P_ij + P_iP_j), k = 1) from small init reaches "
          "an overlap ||V_d^T U_d||_F^2 / d >= 0.9 with QWEM's top-d eigenvectors of M* before its late drift.",
          source="open question (THEORY §6)", tolerance="sgns_subspace_overlap", section=6, kind="conjecture",
          rationale="THEORY §4 reports the same stepwise separation for SGNS empirically; its minimiser (PMI) is "
                    "unbounded, so weights drift late, but M* = 2 tanh(PMI/2) shares PMI's eigenvectors to first "
                    "order, so the first directions learned may still be M*'s.")
def sgns_subspace(case: SgnsCase) -> Measurement:
    result = case.result
    require(not result.diverged, "SGNS SGD stays finite", measured=result.extra.get("reason"))
    best = float(np.max(result.overlap))
    return Measurement(1.0 - best, predicted=">= 0.9", measured=best,
                       what="1 - max over the run of the overlap of W's top-d left singular space with QWEM's v_1..v_d")


# --- Untied weights (THEORY §6) -------------------------------------------------------------------------



def untied_flow(target: np.ndarray, w0: np.ndarray, c0: np.ndarray, t_end: float):
    """Gradient flow of 1/4 ||W W'^T - M*||^2 (the untied QWEM under Setting 3.1, same time unit as the tied
    flow): dW/dt = -1/2 (W W'^T - M*) W', dW'/dt = -1/2 (W' W^T - M*) W. Returns W(t_end), W'(t_end)."""
    from scipy.integrate import solve_ivp

    size, dim = w0.shape
    scale = float(np.sqrt(np.mean(w0 ** 2)))

    def rhs(t, y):
        w, c = y[: size * dim].reshape(size, dim), y[size * dim:].reshape(size, dim)
        return -0.5 * np.concatenate([(w @ (c.T @ c) - target @ c).ravel(), (c @ (w.T @ w) - target @ w).ravel()])

    # atol relative to the init's size: the early phase is exponential (as in sims.simulators.ode).
    solution = solve_ivp(rhs, (0.0, t_end), np.concatenate([w0.ravel(), c0.ravel()]), method="DOP853",
                         rtol=1e-9, atol=1e-9 * scale)
    y = solution.y[:, -1]
    return y[: size * dim].reshape(size, dim), y[size * dim:].reshape(size, dim)


@dataclass
class UntiedCase:
    """A target, a small W(0) and a balanced W'(0) = H W(0) (H orthogonal from `context_seed`), sigma given."""

    prediction: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    sigma: float
    context_seed: int
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"UntiedCase(V={self.prediction.size}, d={self.prediction.dim}, sigma={self.sigma:g})"


def _untied_minimiser_error(case: UntiedCase) -> Measurement:
    from sims.data.synthetic import random_orthogonal

    p = case.prediction
    c0 = random_orthogonal(p.size, case.context_seed) @ case.initial  # balanced: c0^T c0 = w0^T w0
    # Long enough for every mode of either sign with |lam| >= lam_d to be learned from sigma.
    rates = np.abs(np.linalg.eigvalsh(p.target))
    slowest = np.min(rates[rates >= p.learned_eigenvalues[-1] * (1 - 1e-9)])
    t_end = 2.0 * np.log(1.0 / case.sigma ** 2) / slowest + 30.0 / slowest
    w, c = untied_flow(p.target, case.initial, c0, t_end)
    product = w @ c.T
    return Measurement(float(np.max(np.abs(product - p.gram))), np.linalg.eigvalsh(p.gram)[::-1][: p.dim],
                       np.sort(np.linalg.eigvals(product).real)[::-1][: p.dim + 1], scale=float(p.learned_eigenvalues[0]),
                       what="max |W W'^T - sum_(k<=d) max(lam_k, 0) v_k v_k^T| / lam_1 at the end of the untied flow")


UNTIED_RATIONALE = ("THEORY §6 lists untied weights as open. Linearising, [W; W'] grows with the block matrix "
                    "[[0, M*], [M*, 0]] whose rates are +-lam_k: a negative eigenvalue grows in the antisymmetric "
                    "part W - W' at rate |lam|, so large negative eigenvalues may be fitted where tied weights never do.")

register("C-UNTIED", "Untied W != W' from a small balanced init (W'(0) = H W(0), H orthogonal, so W^T W = W'^T W') "
                     "learn the tied model's directions: W W'^T -> sum_(k<=d) max(lam_k, 0) v_k v_k^T.",
         source="open question (THEORY §6)", tolerance="converged_gram", section=6, kind="conjecture",
         rationale=UNTIED_RATIONALE)(_untied_minimiser_error)
register("C-UNTIED-SMALL-NEGATIVES",
         "Untied W != W' from a small balanced init learn the tied model's directions when no negative eigenvalue "
         "is larger in magnitude than lam_d (|lam_j| < lam_d for every lam_j < 0).",
         source="open question (THEORY §6)", tolerance="converged_gram", section=6, kind="conjecture",
         rationale="The refinement of C-UNTIED that the linearisation suggests: the antisymmetric part W - W' then "
                   "grows more slowly than every learned mode, and the flow may still pick the tied "
                   "minimiser.")(_untied_minimiser_error)


# --- Large learning rate (THEORY §6: finite lr) ----------------------------------------------------------

@dataclass
class LargeRateCase:
    """A flow case (target and small W(0)) and a GD learning rate given as eta lam_1."""

    flow: object
    eta_lambda1: float

    def __repr__(self) -> str:
        return f"{self.flow!r}, eta lam_1 = {self.eta_lambda1:g}"


@register("C-LARGE-LR-ORDER",
          "GD with eta lam_1 in [1, 1.8] from a small random init reaches the minimiser, one mode at a time in "
          "decreasing-eigenvalue order (measured half-height times increasing in k).",
          source="open question (THEORY §6)", tolerance="exact_count", section=6, kind="conjecture",
          rationale="THEORY §4 proves only the flow limit and the stability bound eta lam_1 < 2; between them GD "
                    "overshoots each mode's saturation, which could reorder or merge steps (THEORY §6: finite lr).")
def large_rate_order(case: LargeRateCase) -> Measurement:
    from sims.simulators.gd import run_gd

    p, initial = case.flow.prediction, case.flow.initial
    lr = case.eta_lambda1 / float(p.learned_eigenvalues[0])
    t_end = 1.5 * float(np.max(p.random_step_times(initial))) + 40.0 / p.learned_eigenvalues[-1]
    result = run_gd(p, initial, lr, int(np.ceil(t_end / lr)), device="cpu")
    steps = result.measured_step_times()
    require(result.converged, "GD converges", measured=result.extra.get("reason"))
    finite = steps[np.isfinite(steps)]
    violations = int(np.count_nonzero(~np.isfinite(steps))) + int(np.count_nonzero(np.diff(finite) <= 0))
    return Measurement(float(violations), p.random_step_times(initial), steps,
                       what="modes never learned + consecutive half-height times out of order")
