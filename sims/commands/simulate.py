"""`w2v-theory simulate`: run the gradient flow (ODE), full-batch GD or pair-sampled SGD and record it."""

from __future__ import annotations

import math
import sys

import numpy as np

from sims.commands._common import (DEFAULT_INIT_SCALE, add_dim_argument, add_init_arguments, add_source_arguments,
                                   init_scale, load_problem, positive_float, positive_int, print_json, require)
from sims.simulators.device import DEVICES, DTYPES, resolve_device, resolve_dtype
from sims.io import check_output_dir, json_text, load_npy, staged_output
from theory.dynamics import sgd_flow_time_per_step
from theory.predictions import ClosedForm, closed_form, random_init
from theory.validation import InputError

NAME = "simulate"
ORDER = 20
HELP = "simulate training (gradient-flow ODE, full-batch GD or minibatch SGD) and record the trajectory"
METHODS = ("ode", "gd", "sgd")
# Default step size: this fraction of the stability limit 2 / c (c = the largest curvature,
# ClosedForm.stiffest_rate), small enough that GD's O(lr) delay of each step is ~5 % of 1/lam_1.
SAFE_FRACTION = 0.05
DESCRIPTION = f"""\
Train embeddings W (V x d) on a target M* (--matrix) or on the M* of a co-occurrence matrix
(--cooccurrence) and record the trajectory in gradient-flow time (dW/dt = -1/2 (WW^T - M*) W):

  ode  the flow itself, integrated by SciPy (DOP853, relative tolerance 1e-9)
  gd   full-batch gradient descent W <- W - lr 1/2 (WW^T - M*) W in PyTorch; flow time t = lr * steps
  sgd  minibatch SGD on the QWEM or SGNS loss (needs --cooccurrence): --sampler pairs is word2vec's
       loop (positives from P_ij, negatives from P_i P_j); --sampler entries draws matrix entries
       uniformly (unbiased too, far less noisy on Zipfian statistics); flow time per step
       2 lr (tied) or lr (--untied) under Setting 3.1 weights (sims.simulators.sgd)

W(0): --init-scale SIGMA (default {DEFAULT_INIT_SCALE:g}) draws W_ij(0) ~ N(0, SIGMA^2) from --seed S
(default 0): exactly the init `w2v-theory predict --seed S --init-scale SIGMA` assumes; or --init W0.npy.
Length: --time T (flow time) or --steps N (N * lr of flow time for ode/gd); by default the run goes
to 1.5 x the last predicted step time + 5 / lam_m. --lr defaults to {SAFE_FRACTION:g} x 2 / c, with
c = max(lam_1, (lam_1 - lam_min) / 2) the largest curvature at the minimiser (GD is stable iff lr c < 2).

Writes DIR/trajectory.npz (times, singular_values, loss, error, effective_rank, overlap),
DIR/embeddings.npy (final W, V x d float64) and DIR/summary.json (what --json prints).

example:
  w2v-theory simulate --matrix examples/stepped_target.npy --dim 4 --method ode --out runs/ode --json
"""


def add_arguments(parser) -> None:
    add_source_arguments(parser)
    add_dim_argument(parser)
    parser.add_argument("--method", required=True, choices=METHODS, help="ode, gd or sgd")
    add_init_arguments(parser)
    parser.add_argument("--init", metavar="W0.npy", help="initial embeddings W(0), V x d (instead of --init-scale)")
    parser.add_argument("--lr", type=positive_float, default=None, metavar="ETA",
                        help=f"learning rate (gd, sgd; default {SAFE_FRACTION:g} x the stability limit 2/c)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, default=None, metavar="N", help="number of steps (>= 1)")
    length.add_argument("--time", type=positive_float, default=None, metavar="T", help="flow time to simulate")
    parser.add_argument("--loss", choices=("qwem", "sgns"), default=None, help="sgd loss (default qwem)")
    parser.add_argument("--untied", action="store_true", help="sgd: separate context embeddings W'")
    parser.add_argument("--batch", type=positive_int, default=None, metavar="B",
                        help="sgd: positive pairs (or entries) per step (default 4096)")
    parser.add_argument("--sampler", choices=("pairs", "entries"), default=None,
                        help="sgd: word2vec's pair sampler (default) or uniform matrix entries")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="gd/sgd device (default auto)")
    parser.add_argument("--dtype", choices=DTYPES, default=None,
                        help="gd/sgd precision (default float64 for gd, float32 for sgd)")
    parser.add_argument("--samples", type=positive_int, default=400, metavar="K",
                        help="ode: records at spacing t_end / (K - 1), finer around each predicted step (default 400)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")


def run(args) -> int:
    _check_method_options(args)
    device = resolve_device(args.device)  # fails early when cuda is requested but absent
    dtype = args.dtype or ("float32" if args.method == "sgd" else "float64")
    resolve_dtype(dtype)
    check_output_dir(args.out)
    problem = load_problem(args)
    prediction = closed_form(problem.target, args.dim)
    initial, init_kind = _initial(args, prediction)
    require(args.method != "ode" or args.samples >= 2, "--samples must be >= 2")

    predicted = _predicted_step_times(prediction, initial)
    lr, flow_per_step, horizon, steps = _schedule(args, prediction, predicted)
    result = _simulate(args, problem, prediction, initial, lr, steps, horizon, dtype, str(device))
    if args.method == "ode":
        steps = None
    elif args.method == "sgd":
        flow_per_step = float(result.extra.get("flow_time_per_step", flow_per_step))

    payload = {
        "method": args.method,
        "device": result.device,
        "dtype": "float64" if args.method == "ode" else dtype,
        "source": problem.source,
        "size": prediction.size,
        "dim": prediction.dim,
        "learned_modes": prediction.learned_modes,
        "learned_eigenvalues": prediction.learned_eigenvalues,
        "init": init_kind,
        "init_scale": None if init_kind == "file" else init_scale(args),
        "seed": args.seed if args.seed is not None else 0,
        "lr": None if args.method == "ode" else lr,
        "steps": steps,
        "flow_time_per_step": flow_per_step,
        "times": [float(result.times[0]), float(result.times[-1])],
        "records": int(len(result.times)),
        "measured_step_times": result.measured_step_times(),
        "predicted_step_times": predicted,
        "final_error": result.final_error,
        "predicted_final_error": prediction.final_error,
        "final_loss": float(result.loss[-1]),
        "converged": result.converged,
        "diverged": result.diverged,
        "reason": result.extra.get("reason", ""),
        "out": str(args.out),
    }
    if args.method == "sgd":
        payload.update(loss=args.loss or "qwem", batch=args.batch or 4096, untied=args.untied,
                       sampler=args.sampler or "pairs")
    with staged_output(args.out) as staging:
        result.save(staging)
        (staging / "summary.json").write_text(json_text(payload))
    if args.json:
        print_json(payload)
    else:
        _print_summary(payload)
    return 0


def _schedule(args, prediction: ClosedForm, predicted) -> tuple:
    """(lr, flow time per step, horizon, steps) from --lr, --steps, --time or their defaults (None: not used)."""
    flow_per_step = lr = None
    if args.method in ("gd", "sgd"):
        lr = args.lr if args.lr is not None else _default_lr(prediction, args)
        # run_sgd's Setting 3.1 weights have g = 1 (sims.simulators.sgd, "Step -> flow-time map").
        flow_per_step = lr if args.method == "gd" else sgd_flow_time_per_step(lr, tied=not args.untied)
    elif args.steps is not None:  # ode: --steps N means N GD-sized steps of flow time lr
        lr = args.lr if args.lr is not None else _default_lr(prediction, args)
        flow_per_step = lr
    if args.time is not None:
        horizon = args.time
    elif args.steps is not None:
        horizon = args.steps * flow_per_step
    else:
        horizon = _default_horizon(prediction, predicted)
    require(math.isfinite(horizon) and horizon > 0, f"flow time {horizon!r} must be positive and finite")
    if args.steps is not None:
        steps = args.steps
    elif flow_per_step is not None:
        steps = max(1, math.ceil(horizon / flow_per_step))
    else:
        steps = None
    return lr, flow_per_step, horizon, steps


def _simulate(args, problem, prediction: ClosedForm, initial: np.ndarray, lr, steps, horizon: float, dtype: str,
              device: str):
    """Run the chosen simulator; each is imported lazily (torch is needed only by gd and sgd)."""
    progress = sys.stderr.isatty()
    if args.method == "ode":
        from sims.simulators.ode import run_ode

        return run_ode(prediction, initial, horizon, samples=args.samples, progress=progress)
    if args.method == "gd":
        from sims.simulators.gd import run_gd

        return run_gd(prediction, initial, lr, steps, dtype=dtype, device=device, progress=progress)
    from sims.simulators.sgd import run_sgd

    return run_sgd(problem.stats, prediction, initial, lr, steps, batch=args.batch or 4096,
                   loss=args.loss or "qwem", negatives=args.negatives, untied=args.untied,
                   sampler=args.sampler or "pairs", seed=args.seed or 0, dtype=dtype, device=device)


def _check_method_options(args) -> None:
    if args.method != "sgd":
        for option, given in (("--loss", args.loss is not None), ("--untied", args.untied),
                              ("--batch", args.batch is not None), ("--sampler", args.sampler is not None)):
            require(not given, f"{option} applies only to --method sgd")
    else:
        require(args.cooccurrence is not None,
                "--method sgd samples word pairs and needs --cooccurrence C.npy (a target matrix alone has no pairs)")
    require(not (args.init and args.init_scale is not None), "give either --init or --init-scale, not both")
    if args.method == "ode" and args.dtype == "float32":
        raise InputError("--method ode always integrates in float64; --dtype float32 applies to gd and sgd")


def _initial(args, prediction: ClosedForm) -> tuple[np.ndarray, str]:
    if args.init:
        from sims.simulators.trajectory import check_initial

        return check_initial(prediction, load_npy(args.init, "--init"), "--init"), "file"
    seed = 0 if args.seed is None else args.seed
    return random_init(prediction.size, prediction.dim, init_scale(args), seed), "random"


def _predicted_step_times(prediction: ClosedForm, initial: np.ndarray):
    """QR-predictor step times for this W(0) (NaN for a mode W(0) has no component in); None if W(0) is not small."""
    if prediction.learned_modes == 0:
        return np.empty(0)
    try:
        with np.errstate(divide="ignore"):
            return prediction.random_step_times(initial)
    except InputError:
        return None


def _default_horizon(prediction: ClosedForm, predicted) -> float:
    if prediction.learned_modes == 0:
        return 20.0 / max(float(np.max(np.abs(prediction.eigenvalues))), 1e-300)
    slowest = float(prediction.learned_eigenvalues[-1])
    finite = np.asarray([] if predicted is None else predicted, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 20.0 / slowest
    return 1.5 * float(finite.max()) + 5.0 / slowest


def _default_lr(prediction: ClosedForm, args) -> float:
    """SAFE_FRACTION of the stability limit 2/c, converted to the method's own lr for sgd."""
    flow_step = SAFE_FRACTION * prediction.gd_stability_limit
    if args.method == "sgd":
        return flow_step / sgd_flow_time_per_step(1.0, tied=not args.untied)
    return flow_step


def _print_summary(p: dict) -> None:
    print(f"{p['method']} on {p['source']} (V = {p['size']}, d = {p['dim']}), device {p['device']}, {p['dtype']}")
    print(f"flow time {p['times'][0]:.6g} .. {p['times'][1]:.6g} in {p['records']} records"
          + (f", {p['steps']} steps of lr = {p['lr']:.4g}" if p["steps"] else ""))
    predicted = p["predicted_step_times"]
    print(f"{'k':>3} {'lambda_k':>12} {'measured step':>14} {'predicted':>12}")
    for k, lam in enumerate(p["learned_eigenvalues"]):
        measured = p["measured_step_times"][k]
        guess = predicted[k] if predicted is not None else float("nan")
        print(f"{k + 1:>3} {lam:>12.6g} {measured:>14.6g} {guess:>12.6g}")
    print(f"final error {p['final_error']:.6g} (predicted minimum {p['predicted_final_error']:.6g}); "
          f"converged: {p['converged']}, diverged: {p['diverged']}" + (f" ({p['reason']})" if p["reason"] else ""))
    print(f"wrote {p['out']}/trajectory.npz, embeddings.npy, summary.json")
