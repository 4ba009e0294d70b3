"""THEORY §4 claims on minibatch SGD (sims.simulators.sgd), for both samplers (word2vec pairs, uniform entries):
an unbiased gradient, its step -> flow-time map, and tracking the flow.

Unbiasedness and the time map are Monte Carlo claims: a mean over N seeded minibatches (or one-step runs) is
compared with the exact value in standard errors (tolerance sgd_monte_carlo_z). The exact values are computed
here from the definitions (QWEM's gradient in closed form, SGNS's by torch autograd of its expectation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sims.claims.registry import Hypothesis, Measurement, register, require
from theory.dynamics import sgd_flow_time_per_step
from theory.predictions import ClosedForm
from theory.target import setting31_weights, target_matrix, weight_matrix
from theory.tolerances import tolerance

__all__ = ["FlowTimeCase", "MinibatchCase", "TrackingCase", "z_scores"]

SAMPLERS = ("pairs", "entries")
LOSSES = ("qwem", "sgns")


def z_scores(samples: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """(sample mean - exact) / standard error, entrywise, over axis 0."""
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    return np.abs(mean - exact) / np.maximum(se, 1e-300)


def _sampler(case) -> str | None:
    return None if case.sampler in SAMPLERS else f"sampler must be one of {SAMPLERS}, got {case.sampler!r}"


def _enough_samples(case) -> str | None:
    return None if case.samples >= 300 else f"{case.samples} samples < 300 (the CLT behind sgd_monte_carlo_z)"


KNOWN_SAMPLER = Hypothesis("a known sampler (pairs or entries)", _sampler)
ENOUGH_SAMPLES = Hypothesis(">= 300 seeded samples", _enough_samples)


@dataclass(frozen=True)
class MinibatchCase:
    """Co-occurrences, a loss, weights Psi ("setting31", "uniform" or a V x V array), k negatives, W (and W' when
    untied), the sampler and how many minibatches of which size the mean is taken over."""

    stats: object = field(repr=False)
    loss: str
    psi: object
    negatives: float
    w: np.ndarray = field(repr=False)
    context: np.ndarray | None = field(default=None, repr=False)
    sampler: str = "pairs"
    batch: int = 256
    samples: int = 400
    seed: int = 5

    def __repr__(self) -> str:
        psi = self.psi if isinstance(self.psi, str) else "array"
        return (f"MinibatchCase(V={self.w.shape[0]}, d={self.w.shape[1]}, loss={self.loss}, psi={psi}, "
                f"k={self.negatives:g}, untied={self.untied}, sampler={self.sampler}, batch={self.batch}, "
                f"N={self.samples})")

    @property
    def untied(self) -> bool:
        return self.context is not None

    @cached_property
    def psi_matrix(self) -> np.ndarray:
        """Psi as a V x V array: "setting31" = 1/(P_ij + k P_iP_j) (G = 1), "uniform" = 1."""
        if isinstance(self.psi, str):
            if self.psi == "setting31":
                return setting31_weights(self.stats, negatives=self.negatives)
            return np.ones_like(self.stats.joint)
        return np.asarray(self.psi, dtype=float)


def _known_loss(case) -> str | None:
    if case.loss not in LOSSES:
        return f"loss must be one of {LOSSES}, got {case.loss!r}"
    if isinstance(case.psi, str) and case.psi not in ("setting31", "uniform"):
        return f"psi must be 'setting31', 'uniform' or an array, got {case.psi!r}"
    return None


KNOWN_LOSS = Hypothesis("a known loss and weights", _known_loss)


def _sgns_expectation(w, context, stats, psi, negatives):
    """Exact SGNS expectation in torch (for autograd): sum P Psi log(1+e^-x) + k P_iP_j Psi log(1+e^x)."""
    import torch

    x = w @ context.T
    joint, independent, psi = (torch.as_tensor(a) for a in (stats.joint, stats.independent, psi))
    return (psi * joint * torch.nn.functional.softplus(-x)
            + negatives * psi * independent * torch.nn.functional.softplus(x)).sum()


def _exact_loss_and_gradient(case: MinibatchCase):
    """The exact expected loss and gradient (flattened; W then W' when untied), from the definitions."""
    stats, psi, k, w = case.stats, case.psi_matrix, case.negatives, case.w
    c = case.context if case.untied else w
    if case.loss == "qwem":
        m = target_matrix(stats, psi, negatives=k)
        residual = weight_matrix(stats, psi, negatives=k) * (w @ c.T - m)
        if case.untied:  # grad_W = 1/2 (G o (WW'^T - M*)) W', grad_W' = 1/2 (G o (WW'^T - M*))^T W
            gradient = np.concatenate([(0.5 * residual @ c).ravel(), (0.5 * residual.T @ w).ravel()])
        else:
            gradient = (residual @ w).ravel()
        x = w @ c.T
        loss = float(np.sum(psi * stats.joint * (x * x / 4 - x) + k * psi * stats.independent * (x * x / 4 + x)))
        return loss, gradient
    import torch

    wt = torch.tensor(w, requires_grad=True)
    ct = torch.tensor(c, requires_grad=True) if case.untied else wt
    total = _sgns_expectation(wt, ct, stats, psi, k)
    total.backward()
    gradient = np.concatenate([wt.grad.numpy().ravel(), ct.grad.numpy().ravel() if case.untied else []])
    return float(total.detach()), gradient


@register("SGD-UNBIASED", "for either sampler (word2vec's pairs or uniform entries), the QWEM or SGNS loss, any "
                          "weights Psi and k negatives, tied or untied, the minibatch loss and gradient are unbiased: "
                          "their means over N >= 300 seeded minibatches equal the exact L and grad L within the "
                          "Monte Carlo z bound",
          source="THEORY §4 (minibatch SGD is an unbiased estimate of the gradient)", tolerance="sgd_monte_carlo_z",
          section=4, hypotheses=(KNOWN_SAMPLER, KNOWN_LOSS, ENOUGH_SAMPLES))
def sgd_unbiased(case: MinibatchCase) -> list:
    import torch

    from sims.simulators.sgd import build_objective
    from theory.losses import qwem_loss, sgns_loss

    objective = build_objective(case.stats, sampler=case.sampler, batch=case.batch, loss=case.loss,
                                negatives=case.negatives, psi=case.psi, dtype="float64", device="cpu")
    generator = objective.generator(case.seed)
    wt = torch.as_tensor(case.w)
    ct = torch.as_tensor(case.context) if case.untied else None
    losses, grads = [], []
    for _ in range(case.samples):
        value, gw, gc = objective.gradient(wt, ct, objective.sample(generator))
        losses.append(float(value))
        grads.append(np.concatenate([gw.numpy().ravel(), gc.numpy().ravel() if case.untied else []]))
    exact_loss, exact_grad = _exact_loss_and_gradient(case)
    z_grad = z_scores(np.asarray(grads), exact_grad)
    z_loss = float(z_scores(np.asarray(losses), exact_loss))
    out = [Measurement(float(z_grad.max()), exact_grad, np.mean(grads, axis=0),
                       what=f"max |mean sampled gradient - exact| / standard error over {case.samples} minibatches"),
           Measurement(z_loss, exact_loss, float(np.mean(losses)),
                       what=f"|mean sampled loss - exact| / standard error over {case.samples} minibatches")]
    if not case.untied:  # the reference written here agrees with theory.losses' own loss
        library = (qwem_loss if case.loss == "qwem" else sgns_loss)(case.w, case.stats, case.psi_matrix,
                                                                   negatives=case.negatives)
        out.append(Measurement(abs(exact_loss - library), exact_loss, library, scale=1 + abs(exact_loss),
                               tolerance="identity", what=f"exact expected loss vs theory.losses.{case.loss}_loss"))
    return out


@dataclass(frozen=True)
class FlowTimeCase:
    """Co-occurrences with their closed form, W(0), and one SGD step (lr, batch, tied or untied, sampler) repeated
    over `samples` seeds."""

    stats: object = field(repr=False)
    prediction: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    lr: float = 0.01
    batch: int = 128
    untied: bool = False
    sampler: str = "pairs"
    samples: int = 300

    def __repr__(self) -> str:
        return (f"FlowTimeCase(V={self.prediction.size}, d={self.prediction.dim}, lr={self.lr:g}, batch={self.batch}, "
                f"untied={self.untied}, sampler={self.sampler}, N={self.samples})")


@register("SGD-TIME", "for either sampler, tied or untied, the expected move of one SGD step is the flow's: "
                      "E[W(1) - W(0)] = -dt 1/2 (WW^T - M*) W, with dt the run's recorded time of step 1, which is "
                      "sgd_flow_time_per_step (2 g lr tied, g lr untied; g = 1 under Setting 3.1)",
          source="THEORY §4 (each sampler states its step -> flow-time map; sims/simulators/sgd.py)",
          tolerance="sgd_monte_carlo_z", section=4, hypotheses=(KNOWN_SAMPLER, ENOUGH_SAMPLES))
def sgd_flow_time(case: FlowTimeCase) -> list:
    from sims.simulators.sgd import run_sgd

    w0 = case.initial
    velocity = -0.5 * (w0 @ w0.T - case.prediction.target) @ w0
    moves, times = [], []
    for seed in range(case.samples):
        result = run_sgd(case.stats, case.prediction, w0, case.lr, 1, batch=case.batch, untied=case.untied,
                         seed=seed, dtype="float64", device="cpu", sampler=case.sampler)
        moves.append((result.embeddings - w0).ravel())
        times.append(float(result.times[-1]))
    moves = np.asarray(moves)
    require(np.ptp(times) == 0.0, "every run records the same time for step 1", measured=(min(times), max(times)))
    expected_dt = sgd_flow_time_per_step(case.lr, tied=not case.untied)
    # The time map must not be satisfied trivially by a zero move: the mean move is well resolved.
    resolution = np.abs(moves.mean(axis=0)).max() / (moves.std(axis=0).max() / np.sqrt(case.samples))
    require(resolution > 10, "the mean move is resolved (> 10 standard errors)", measured=resolution)
    z = z_scores(moves, times[0] * velocity.ravel())
    return [Measurement(float(z.max()), times[0] * velocity.ravel(), moves.mean(axis=0),
                        what=f"max |mean move - dt x flow velocity| / standard error over {case.samples} one-step "
                             f"runs (dt = {times[0]:.6g})"),
            Measurement(abs(times[0] - expected_dt), expected_dt, times[0], scale=expected_dt, tolerance="identity",
                        what="recorded time of step 1 vs sgd_flow_time_per_step(lr, tied)")]


@dataclass(frozen=True)
class TrackingCase:
    """Co-occurrences with their closed form, a small W(0) and word2vec's SGD (lr, batch, seed, sampler, device),
    run for 1.4 x the QR-predicted last step; GD at SGD's flow step from the same W(0) is the reference."""

    stats: object = field(repr=False)
    prediction: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    lr: float = 0.002
    batch: int = 4096
    seed: int = 0
    sampler: str = "pairs"
    device: str = "cpu"
    label: str = ""

    def __repr__(self) -> str:
        return self.label or (f"TrackingCase(V={self.prediction.size}, d={self.prediction.dim}, lr={self.lr:g}, "
                              f"batch={self.batch}, sampler={self.sampler}, {self.device})")

    @cached_property
    def flow_step(self) -> float:
        return sgd_flow_time_per_step(self.lr)

    @cached_property
    def steps(self) -> int:
        return int(1.4 * self.prediction.random_step_times(self.initial)[-1] / self.flow_step)

    @cached_property
    def sgd(self):
        from sims.simulators.sgd import run_sgd

        return run_sgd(self.stats, self.prediction, self.initial, self.lr, self.steps, batch=self.batch,
                       seed=self.seed, dtype="float32", device=self.device, record_every=2, sampler=self.sampler)

    @cached_property
    def gd(self):
        from sims.simulators.gd import run_gd

        return run_gd(self.prediction, self.initial, self.flow_step, self.steps, record_every=2, dtype="float64",
                      device="cpu")


def _tracking_small_init(case) -> str | None:
    ratio = case.prediction.random_initial_strengths(case.initial) / case.prediction.learned_eigenvalues
    return None if np.all(ratio < 0.5) else f"mode {int(np.argmax(ratio)) + 1} starts at {ratio.max():.3g} lam"


TRACKING_SMALL_INIT = Hypothesis("small init (every mode starts below half height)", _tracking_small_init)


@register("SGD-TRACK", "with a small learning rate, word2vec's SGD (either sampler) from a small W(0) converges into "
                       "M*'s top-d eigenspace and learns every mode in order at the half-height times of GD run at "
                       "its flow step (within sgd_step_time) and of the QR predictor (within that, the predictor's "
                       "1 % and Euler's lr lam_k delay)",
          source="THEORY §4 (with small lr, SGD tracks the flow)", tolerance="sgd_step_time", section=4,
          hypotheses=(KNOWN_SAMPLER, TRACKING_SMALL_INIT))
def sgd_tracks_flow(case: TrackingCase) -> list:
    sgd, gd, p = case.sgd, case.gd, case.prediction
    require(not sgd.diverged and sgd.converged, "SGD converges without diverging", measured=sgd.extra.get("reason"))
    require(np.all(np.isfinite(sgd.embeddings)), "SGD's embeddings stay finite")
    measured, reference = sgd.measured_step_times(), gd.measured_step_times()
    require(np.all(np.isfinite(measured)) and np.all(np.diff(measured) > 0), "every mode learned, in order",
            predicted=reference, measured=measured)
    predicted = p.random_step_times(case.initial)
    # Against the theory's own predictor: SGD's noise allowance plus the QR predictor's accuracy and forward
    # Euler's relative delay (1 + eta lam_k / 2 per unit of growth, eta = 2 lr).
    beyond = np.abs(measured - predicted) / predicted - tolerance("step_time_qr").value - case.lr * p.learned_eigenvalues
    return [Measurement(float(1.0 - sgd.overlap[-1]), 1.0, float(sgd.overlap[-1]), tolerance="sgd_subspace_overlap",
                        what="1 - final overlap of SGD's top-d left singular space with v_1..v_d"),
            Measurement(float(np.max(np.abs(measured - reference) / reference)), reference, measured,
                        what="max_k |t_k^SGD - t_k^GD| / t_k^GD (GD at SGD's flow step)"),
            Measurement(float(np.max(beyond)), predicted, measured,
                        what="max_k |t_k^SGD / t_k^QR - 1| less the QR predictor's 1 % and the Euler delay lr lam_k")]
