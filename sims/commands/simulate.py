"""`w2v-theory simulate`: run the gradient flow (ODE), full-batch GD or pair-sampled SGD and record it."""

from __future__ import annotations

import math
import sys

import numpy as np

from sims.commands._common import (DEFAULT_INIT_SCALE, add_dim_argument, add_init_arguments, add_source_arguments,
                                   init_scale, learnable_prediction, load_problem, positive_float, positive_int,
                                   require)
from sims.simulators.device import DEVICES, DTYPES, resolve_device, resolve_dtype
from sims.io import check_output_dir, json_text, load_npy, staged_output
from theory.dynamics import sgd_flow_time_per_step
from theory.predictions import ClosedForm, random_init
from theory.validation import (MAX_RECORDS, MAX_STEPS, InputError, check_count, check_finite, check_init_scale,
                               check_memory, check_seed)

NAME = "simulate"
ORDER = 20
HELP = "simulate training (gradient-flow ODE, full-batch GD or minibatch SGD) and record the trajectory"
METHODS = ("ode", "gd", "sgd")
# Default step size: this fraction of the stability limit 2 / c (c = the largest curvature,
# ClosedForm.stiffest_rate), small enough that GD's O(lr) delay of each step is ~5 % of 1/lam_1.
SAFE_FRACTION = 0.05
DEFAULT_BATCH = 4096
MAX_BATCH = 10_000_000
DEFAULT_SAMPLES = 400
# |entries| of --init W0.npy: s_k(0)^2 and the quartic loss of W(0) must stay normal and finite.
INIT_RANGE = (1e-140, 1e50)
# The ODE's horizon in relaxation times 1/c (c = ClosedForm.stiffest_rate): an explicit solver needs about
# that many steps once W has converged.
MAX_ODE_EFFORT = 1e6
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
    parser.add_argument("--samples", type=positive_int, default=DEFAULT_SAMPLES, metavar="K",
                        help="ode: records at spacing t_end / (K - 1), finer around each predicted step (default 400)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar on stderr (by default a bar on a terminal, a line every 30 s in a log)")


def run(args) -> int:
    plan = validate(args)
    result = _simulate(args, plan)
    prediction, predicted = plan["prediction"], plan["predicted"]
    flow_per_step, steps = plan["flow_per_step"], plan["steps"]
    if args.method == "ode":
        steps = None
    elif args.method == "sgd":
        flow_per_step = float(result.extra.get("flow_time_per_step", flow_per_step))
    payload = {
        "method": args.method,
        "device": result.device,
        "dtype": plan["dtype"],
        "source": plan["problem"].source,
        "size": prediction.size,
        "dim": prediction.dim,
        "learned_modes": prediction.learned_modes,
        "learned_eigenvalues": prediction.learned_eigenvalues,
        "init": plan["init_kind"],
        "init_scale": plan["init_scale"],
        "seed": plan["seed"],
        "lr": None if args.method == "ode" else plan["lr"],
        "lr_times_lambda1": None if args.method == "ode" else plan["lr_times_lambda1"],
        "steps": steps,
        "flow_time_per_step": flow_per_step,
        "times": [float(result.times[0]), float(result.times[-1])],
        "records": int(len(result.times)),
        "measured_step_times": result.measured_step_times(),
        "predicted_step_times": predicted,
        "predicted_step_times_reason": plan["predicted_reason"],
        "final_error": result.final_error,
        "predicted_final_error": prediction.final_error,
        "final_loss": float(result.loss[-1]),
        "converged": result.converged,
        "diverged": result.diverged,
        "reason": result.extra.get("reason", ""),
        "out": str(args.out),
    }
    if args.method == "sgd":
        payload.update(loss=args.loss or "qwem", batch=plan["batch"], untied=args.untied,
                       sampler=args.sampler or "pairs")
    text = json_text(payload) if args.json else _summary(payload)
    with staged_output(args.out) as staging:
        result.save(staging)
        (staging / "summary.json").write_text(json_text(payload))
    sys.stdout.write(text)
    return 0


def validate(args) -> dict:
    """Every check that can fail, before any simulation or write: the run's plan (InputError otherwise)."""
    _check_method_options(args)
    device = resolve_device(args.device)  # fails early when cuda is requested but absent
    dtype = args.dtype or ("float32" if args.method == "sgd" else "float64")
    resolve_dtype(dtype)
    check_output_dir(args.out)
    if args.method == "ode":
        check_count(args.samples, "--samples", MAX_RECORDS, minimum=2)
    problem = load_problem(args)
    prediction = learnable_prediction(problem, args.dim)
    seed = check_seed(0 if args.seed is None else args.seed, offset=1)
    initial, init_kind = _initial(args, prediction, dtype if args.method != "ode" else "float64")
    predicted, predicted_reason = _predicted_step_times(prediction, initial)
    lr, flow_per_step, horizon, steps = _schedule(args, prediction, predicted)
    batch = args.batch or DEFAULT_BATCH
    if args.method == "sgd":
        check_count(batch, "--batch", MAX_BATCH)
        negatives = round(_negatives(args) * batch)
        # Pair sampler: V^2 float64 CDF and lookup; per step (B + n) pairs x (d + 6) working values.
        check_memory(8.0 * (3 * prediction.size ** 2 + (batch + 2 * negatives) * (2 * prediction.dim + 8)),
                     f"--method sgd with --batch {batch} (and {negatives} negatives) at V = {prediction.size}")
    return {"problem": problem, "prediction": prediction, "initial": initial, "init_kind": init_kind,
            "init_scale": None if init_kind == "file" else init_scale(args), "seed": seed, "dtype": dtype,
            "device": str(device), "predicted": predicted, "predicted_reason": predicted_reason, "lr": lr,
            "lr_times_lambda1": None if lr is None else lr * float(prediction.eigenvalues[0]),
            "flow_per_step": flow_per_step, "horizon": horizon, "steps": steps, "batch": batch}


def _negatives(args) -> float:
    from sims.commands._common import negatives

    return negatives(args)


def _schedule(args, prediction: ClosedForm, predicted) -> tuple:
    """(lr, flow time per step, horizon, steps) from --lr, --steps, --time or their defaults (None: not used);
    every derived value is checked finite and affordable (InputError with the reason otherwise)."""
    flow_per_step = lr = None
    lam1 = float(prediction.eigenvalues[0])
    if args.method in ("gd", "sgd") or args.steps is not None:  # ode: --steps N means N GD-sized steps
        lr = args.lr if args.lr is not None else _default_lr(prediction, args)
        what = "--lr" if args.lr is not None else "the default learning rate"
        check_finite(lr, what)
        check_finite(lr * lam1, f"{what} x lam_1")
        # run_sgd's Setting 3.1 weights have g = 1 (sims.simulators.sgd, "Step -> flow-time map").
        flow_per_step = sgd_flow_time_per_step(lr, tied=not args.untied) if args.method == "sgd" else lr
    if args.time is not None:
        horizon = args.time
    elif args.steps is not None:
        horizon = args.steps * flow_per_step
    else:
        horizon = _default_horizon(prediction, predicted)
    require(math.isfinite(horizon) and horizon > 0, f"flow time {horizon:.6g} must be positive and finite")
    if args.steps is not None:
        steps = check_count(args.steps, "--steps", MAX_STEPS)
    elif flow_per_step is not None:
        ratio = horizon / flow_per_step
        require(math.isfinite(ratio) and ratio <= MAX_STEPS,
                f"flow time {horizon:.4g} at {flow_per_step:.4g} per step is {ratio:.3g} steps, more than {MAX_STEPS}: "
                "give a shorter --time, fewer --steps or a larger --lr")
        steps = max(1, math.ceil(ratio))
    else:
        steps = None
    if args.method == "ode":
        # An explicit solver takes ~ horizon x (largest rate) steps; the rate is the larger of the curvature
        # at the minimiser and ||W(0)||^2's (a large init first decays as fast as it is big).
        rate = max(prediction.stiffest_rate, 1e-300)
        effort = horizon * rate
        require(effort <= MAX_ODE_EFFORT,
                f"flow time {horizon:.4g} is {effort:.3g} relaxation times 1/c (c = {rate:.3g}); the ODE solver would "
                f"take about that many steps (at most {MAX_ODE_EFFORT:.0g}): give a shorter --time or a smaller --dim")
    return lr, flow_per_step, horizon, steps


def _simulate(args, plan: dict):
    """Run the chosen simulator; each is imported lazily (torch is needed only by gd and sgd)."""
    progress = not args.no_progress
    prediction, initial, steps = plan["prediction"], plan["initial"], plan["steps"]
    if args.method == "ode":
        from sims.simulators.ode import run_ode

        return run_ode(prediction, initial, plan["horizon"], samples=args.samples, progress=progress)
    if args.method == "gd":
        from sims.simulators.gd import run_gd

        return run_gd(prediction, initial, plan["lr"], steps, dtype=plan["dtype"], device=plan["device"],
                      progress=progress)
    from sims.simulators.sgd import run_sgd

    return run_sgd(plan["problem"].stats, prediction, initial, plan["lr"], steps, batch=plan["batch"],
                   loss=args.loss or "qwem", negatives=_negatives(args), untied=args.untied,
                   sampler=args.sampler or "pairs", seed=plan["seed"], dtype=plan["dtype"], device=plan["device"],
                   progress=progress)


def _check_method_options(args) -> None:
    if args.method != "sgd":
        for option, given in (("--loss", args.loss is not None), ("--untied", args.untied),
                              ("--batch", args.batch is not None), ("--sampler", args.sampler is not None)):
            require(not given, f"{option} applies only to --method sgd")
    else:
        require(args.cooccurrence is not None,
                "--method sgd samples word pairs and needs --cooccurrence C.npy (a target matrix alone has no pairs)")
    require(not (args.init and args.init_scale is not None), "give either --init or --init-scale, not both")
    require(not (args.init and args.seed is not None and args.method != "sgd"),
            "--seed draws W(0) (and SGD's samples); with --init W0.npy and --method ode or gd it has no effect")
    require(args.method == "ode" or args.samples == DEFAULT_SAMPLES, "--samples applies only to --method ode")
    if args.method == "ode" and args.dtype == "float32":
        raise InputError("--method ode always integrates in float64; --dtype float32 applies to gd and sgd")


def _initial(args, prediction: ClosedForm, dtype: str) -> tuple[np.ndarray, str]:
    if args.init:
        from sims.simulators.trajectory import check_initial

        w = check_initial(prediction, load_npy(args.init, "--init"), "--init")
        top = float(np.max(np.abs(w)))
        low, high = INIT_RANGE
        require(top == 0.0 or low <= top <= high,
                f"--init: largest |entry| {top:.3g} is outside [{low:g}, {high:g}], where s_k^2 and the loss of W(0) "
                "stay finite and normal in float64")
        return w, "file"
    seed = 0 if args.seed is None else args.seed
    scale = check_init_scale(init_scale(args), prediction.size, prediction.dim, dtype)
    return random_init(prediction.size, prediction.dim, scale, seed), "random"


def _predicted_step_times(prediction: ClosedForm, initial: np.ndarray):
    """(QR-predictor step times for this W(0), reason when there are none): None and the reason when W(0)
    is not small; a mode W(0) has no component along gets no finite time (shown as never)."""
    try:
        with np.errstate(divide="ignore"):
            return prediction.random_step_times(initial), ""
    except InputError as exc:
        return None, str(exc)


def _default_horizon(prediction: ClosedForm, predicted) -> float:
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


def _cell(value, width: int, missing: str = "never") -> str:
    return f"{value:>{width}.6g}" if value is not None and np.isfinite(value) else f"{missing:>{width}}"


def _summary(p: dict) -> str:
    lines = [f"{p['method']} on {p['source']} (V = {p['size']}, d = {p['dim']}), device {p['device']}, {p['dtype']}",
             f"flow time {p['times'][0]:.6g} .. {p['times'][1]:.6g} in {p['records']} records"
             + (f", {p['steps']} steps of lr = {p['lr']:.4g} (lr lam_1 = {p['lr_times_lambda1']:.3g})"
                if p["steps"] else "")]
    predicted = p["predicted_step_times"]
    # A mode not reached: "diverged" when the run stopped at divergence, else "never" (not within the run).
    missing = "diverged" if p["diverged"] else "never"
    lines.append(f"{'k':>3} {'lambda_k':>12} {'measured step':>14} {'predicted':>12}")
    for k, lam in enumerate(p["learned_eigenvalues"]):
        guess = predicted[k] if predicted is not None else None
        lines.append(f"{k + 1:>3} {lam:>12.6g} {_cell(p['measured_step_times'][k], 14, missing)} "
                     f"{_cell(guess, 12, 'never' if predicted is not None else 'none')}")
    if predicted is None:
        lines.append(f"no predicted step times: {p['predicted_step_times_reason']}")
    lines.append(f"final error {p['final_error']:.6g} (predicted minimum {p['predicted_final_error']:.6g}); "
                 f"converged: {p['converged']}, diverged: {p['diverged']}" + (f" ({p['reason']})" if p["reason"] else ""))
    lines.append(f"wrote {p['out']}/trajectory.npz, embeddings.npy, summary.json")
    return "\n".join(lines) + "\n"
