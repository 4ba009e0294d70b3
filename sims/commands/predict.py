"""`w2v-theory predict`: the closed-form predictions for a target or co-occurrence matrix."""

from __future__ import annotations

import numpy as np

from sims.commands._common import (add_dim_argument, add_init_arguments, add_source_arguments,
                                   init_scale, load_problem, print_json)
from sims.io import check_output_dir, staged_output
from theory.predictions import closed_form, random_init

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
    problem = load_problem(args)
    scale = init_scale(args)
    if args.out:
        check_output_dir(args.out)
    prediction = closed_form(problem.target, args.dim)
    if args.seed is None:
        init = "aligned"
        step_times = prediction.aligned_step_times(scale)
    else:
        init = "random"
        step_times = prediction.random_step_times(random_init(prediction.size, prediction.dim, scale, args.seed))
    if args.out:
        with staged_output(args.out) as staging:
            np.save(staging / "embeddings.npy", prediction.embeddings)
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
    if args.json:
        print_json(payload)
    else:
        _print_table(payload)
    return 0


def _print_table(p: dict) -> None:
    print(f"target: {p['source']}  (V = {p['size']}, d = {p['dim']})")
    print("top eigenvalues of M*: " + ", ".join(f"{v:.4g}" for v in p["eigenvalues"]))
    print(f"learned modes: {p['learned_modes']}   init: {p['init']}, sigma = {p['init_scale']:g}"
          + (f", seed = {p['seed']}" if p["seed"] is not None else ""))
    print(f"{'k':>3} {'lambda_k':>12} {'step time':>12} {'t/tau_1 limit':>14} {'E_k after':>14}")
    for k, (lam, time, ratio, error) in enumerate(zip(p["eigenvalues"], p["step_times"],
                                                      p["limit_step_ratios"], p["plateau_errors"][1:]), 1):
        print(f"{k:>3} {lam:>12.6g} {time:>12.6g} {ratio:>14.6g} {error:>14.6g}")
    print(f"initial error E_0 = {p['plateau_errors'][0]:.6g}; final error = {p['final_error']:.6g}")
