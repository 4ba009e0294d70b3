"""`w2v-theory predict`: the closed-form predictions for a target or co-occurrence matrix."""

from __future__ import annotations

import sys

import numpy as np

from sims.commands._common import (add_dim_argument, add_init_arguments, add_source_arguments, init_scale,
                                   learnable_prediction, load_problem)
from sims.io import check_output_dir, json_text, staged_output
from theory.predictions import ClosedForm, random_init
from theory.validation import InputError

NAME = "predict"
ORDER = 10
HELP = "closed-form predictions: spectrum, final embeddings, plateaus, step times"
DESCRIPTION = """\
Closed-form predictions of THEORY.md for a target M* (--matrix) or for the M* built from a
co-occurrence matrix (--cooccurrence): eigenvalues by value, the learned modes (top d positive
eigenvalues), the factorisation error E_k = ||WW^T - M*||_F^2 on each plateau, and half-height
step times in gradient-flow units (dW/dt = -1/2 (WW^T - M*) W).

Step times are for aligned init s_k^2(0) = sigma^2, or, with --seed S, for the random init
W_ij(0) ~ N(0, sigma^2) that `w2v-theory simulate --seed S` draws, through the QR predictor.

example:
  w2v-theory predict --matrix examples/stepped_target.npy --dim 4 --json
"""


def add_arguments(parser) -> None:
    add_source_arguments(parser)
    add_dim_argument(parser)
    add_init_arguments(parser)
    parser.add_argument("--out", metavar="DIR", help="also write DIR/embeddings.npy (V x d, float64)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run(args) -> int:
    # Everything that can fail is checked and computed before anything is written.
    problem = load_problem(args)
    scale = init_scale(args)
    if args.out is not None:
        check_output_dir(args.out)
    prediction = learnable_prediction(problem, args.dim)
    init = "aligned" if args.seed is None else "random"
    step_times = predicted_step_times(prediction, scale, args.seed)
    payload = {
        "source": problem.source,
        "size": prediction.size,
        "dim": prediction.dim,
        "eigenvalues": prediction.eigenvalues,
        "learned_modes": prediction.learned_modes,
        "init": init,
        "init_scale": scale,
        "seed": args.seed,
        "step_times": step_times,
        "limit_step_ratios": prediction.limit_step_ratios(),
        "plateau_errors": prediction.plateau_errors,
        "final_error": prediction.final_error,
        "plateau_losses": prediction.plateau_losses(),
    }
    text = json_text(payload) if args.json else _table(payload)
    if args.out is not None:
        with staged_output(args.out) as staging:
            np.save(staging / "embeddings.npy", prediction.embeddings)
    sys.stdout.write(text)
    return 0


# Below this sigma^2 the initial strengths s_k^2(0) ~ sigma^2 leave float64's normal range (sigma ~ 1e-145):
# the step times are then computed from log sigma (below).
LOG_DOMAIN_BELOW = 1e-290
# Above this sigma^2 (sigma ~ 1e145) the strengths overflow instead; in log form such an init is "not small".
LOG_DOMAIN_ABOVE = 1e290


def predicted_step_times(prediction: ClosedForm, scale: float, seed: int | None) -> np.ndarray:
    """Half-height times from aligned init s_k^2(0) = sigma^2 (seed None) or, through the QR predictor, from
    random_init(V, d, sigma, seed); InputError when some mode starts at or above half height.

    For a tiny (or huge) sigma the strengths underflow (overflow); since random_init is sigma times a unit-variance draw, the
    QR strengths are sigma^2 times those of the unit draw, and t_k = (ln(lam_k - u_k) - ln u_k) / lam_k is
    evaluated with ln u_k = 2 ln sigma + ln(unit strength_k) (e.g. sigma = 1e-300, lam = 4: t ~ 345).
    """
    if LOG_DOMAIN_BELOW <= scale * scale <= LOG_DOMAIN_ABOVE:
        if seed is None:
            return prediction.aligned_step_times(scale)
        return prediction.random_step_times(random_init(prediction.size, prediction.dim, scale, seed))
    lam = prediction.learned_eigenvalues
    unit = (np.ones(len(lam)) if seed is None
            else prediction.random_initial_strengths(random_init(prediction.size, prediction.dim, 1.0, seed)))
    with np.errstate(divide="ignore"):
        log_u = 2.0 * np.log(scale) + np.log(unit)
    if np.any(log_u >= np.log(lam / 2)):
        raise InputError("the initialisation is not small: some mode starts at or above half its final height")
    with np.errstate(over="ignore", under="ignore"):
        return (np.log(lam - np.exp(log_u)) - log_u) / lam


def _cell(value, width: int) -> str:
    """A number, or "never" for a mode whose step time is not finite (W(0) has no component along it)."""
    return f"{value:>{width}.6g}" if value is not None and np.isfinite(value) else f"{'never':>{width}}"


def _table(p: dict) -> str:
    lines = [f"target: {p['source']}  (V = {p['size']}, d = {p['dim']})",
             "top eigenvalues of M*: " + ", ".join(f"{v:.4g}" for v in p["eigenvalues"]),
             f"learned modes: {p['learned_modes']}   init: {p['init']}, sigma = {p['init_scale']:g}"
             + (f", seed = {p['seed']}" if p["seed"] is not None else ""),
             f"{'k':>3} {'lambda_k':>12} {'step time':>12} {'t/tau_1 limit':>14} {'E_k after':>14}"]
    for k, (lam, time, ratio, error) in enumerate(zip(p["eigenvalues"], p["step_times"],
                                                      p["limit_step_ratios"], p["plateau_errors"][1:]), 1):
        lines.append(f"{k:>3} {lam:>12.6g} {_cell(time, 12)} {ratio:>14.6g} {error:>14.6g}")
    lines.append(f"initial error E_0 = {p['plateau_errors'][0]:.6g}; final error = {p['final_error']:.6g}")
    return "\n".join(lines) + "\n"
