"""The `w2v-theory report` run: one scenario through the closed form, ODE, GD and SGD, then its claims.

`run_report` predicts, plans each simulator's horizon from the theory, simulates, takes the embedding
snapshots and evaluates the registered claims (sims/pipelines/report/claims.py) on the runs;
sims/pipelines/report/markdown.py writes it out.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import numpy as np

from sims.claims.cases import FlowCase, next_eigenvalue
from sims.claims.definitions.hypotheses import separated_modes
from sims.pipelines.report.scenario import SIMULATORS, Scenario
from sims.simulators.trajectory import SimulationResult
from theory.dynamics import MIN_SEPARATION, sgd_flow_time_per_step, subspace_overlap, left_singular_basis
from theory.predictions import ClosedForm, closed_form, random_init
from theory.validation import InputError, check_positive

# GD's learning rate from the theory: GD is stable iff eta < 2 / max(lam_1, (lam_1 - lam_min) / 2) (THEORY §4,
# refined: ClosedForm.gd_stability_limit); a tenth of that keeps the Euler delay eta lam_k / 4 per unit
# time (a few per cent) small but visible.
GD_LR_FRACTION = 0.1
GD_RECORDS = 4000
MAX_GD_STEPS = 200_000
# GD only needs to pass the separated steps (GD-DELAY's measurement) when the whole horizon is too long.
GD_STEP_MARGIN = 0.2
# SGD (Setting 3.1, tied) takes GD's flow step, lr = eta / 2, so both carry the same O(eta) Euler delay.
# Its stationary noise (a deficit 1 - overlap proportional to lr) masks the subspace at the end, so a
# second phase at lr / SGD_ANNEAL lets W settle for SGD_ANNEAL_EFOLDS times 1/(lam_m - lam_(m+1)):
# linearised at the minimiser the deficit decays at rate lam_m - lam_j.
SGD_BATCH = 16384
QUICK_SGD_BATCH = 4096
SGD_ANNEAL = 6.0
SGD_ANNEAL_EFOLDS = 4.0
SGD_SETTLE_RATES = 3.0
MAX_SGD_STEPS = 20_000


@dataclass
class Report:
    """Everything the report shows: the scenario, predictions, simulations, snapshots and claim outcomes."""

    scenario: Scenario
    prediction: ClosedForm
    initial: np.ndarray
    all_eigenvalues: np.ndarray
    strengths: np.ndarray            # QR r_k(0)^2 of the learned modes
    predicted_steps: np.ndarray      # QR predictor (flow time)
    tau1: float
    t_end: float
    lr: float
    results: dict                    # simulator name -> SimulationResult
    snapshots: list                  # (label, time, W) for the embedding figure
    alignment: dict                  # silent alignment per mode
    claims: list                     # sims.claims.Outcome
    parameters: dict
    notes: list
    timings: dict
    realtext: dict | None = None

    @property
    def step_times(self) -> dict:
        out = {"predicted": self.predicted_steps}
        for name in SIMULATORS:
            if name in self.results:
                out[name] = self.results[name].measured_step_times()
        return out

    @property
    def failed(self) -> list:
        return [c for c in self.claims if c.status == "fail"]


@contextlib.contextmanager
def _phase(bar, timings: dict, name: str):
    """Time one phase into timings[name + "_s"] and show it on the progress bar while it runs."""
    if bar is not None:
        bar.set_postfix_str(name)
    start = time.perf_counter()
    yield
    timings[f"{name}_s"] = time.perf_counter() - start
    if bar is not None:
        bar.update(1)


def _progress(enabled: bool, total: int):
    from sims.progress import progress_bar

    return progress_bar(total, "report", enabled, unit="phase")


def gd_plan(prediction: ClosedForm, case: FlowCase, lr: float | None, strict: bool = True) -> dict:
    """GD's learning rate, horizon and record spacing: the flow's horizon when affordable, else past the
    last separated step (all GD-DELAY reads); InputError when not even that fits MAX_GD_STEPS (`strict`:
    GD or SGD will run; otherwise the plan only describes eta, capped at MAX_GD_STEPS)."""
    eta = GD_LR_FRACTION * prediction.gd_stability_limit if lr is None else check_positive(lr, "--lr")
    horizon = case.t_end
    with np.errstate(over="ignore"):
        if not horizon / eta <= MAX_GD_STEPS:  # also an overflow to inf (a tiny --lr)
            separated = separated_modes(case)
            last = case.predicted_steps[separated] if np.any(separated) else case.predicted_steps
            horizon = float(np.max(last)) * (1.0 + GD_STEP_MARGIN)
        ratio = horizon / eta
    if not ratio <= MAX_GD_STEPS:
        if strict:
            lam = prediction.learned_eigenvalues
            raise InputError(f"GD would need {ratio:.3g} steps to pass the separated steps at t = {horizon:.3g} with "
                             f"lr {eta:.3g} (lam_1/lam_m = {lam[0] / lam[-1]:.3g}); use a larger --lr, a smaller --dim "
                             "or --methods ode")
        ratio = MAX_GD_STEPS
    steps = max(1, int(math.ceil(ratio)))
    return {"lr": eta, "steps": steps, "t_end": steps * eta, "record_every": max(1, steps // GD_RECORDS),
            "lr_times_lambda1": eta * float(prediction.learned_eigenvalues[0]),
            "stability_limit": prediction.gd_stability_limit, "unstable": bool(eta >= prediction.gd_stability_limit)}


def sgd_plan(prediction: ClosedForm, predicted: np.ndarray, eta: float, quick: bool) -> dict:
    """Main phase at lr = eta / 2 (flow step eta, as GD) until the last step has settled, then lr / SGD_ANNEAL."""
    lam = prediction.learned_eigenvalues
    lr = eta / 2.0
    flow_step = sgd_flow_time_per_step(lr)
    t_main = float(predicted[-1]) * 1.1 + SGD_SETTLE_RATES / lam[-1]
    relax = 1.0 / max(lam[-1] - max(next_eigenvalue(prediction), 0.0), 1e-12)
    anneal_time = SGD_ANNEAL_EFOLDS * relax
    with np.errstate(over="ignore"):
        main_steps, anneal_steps = t_main / flow_step, anneal_time / (flow_step / SGD_ANNEAL)
    if not main_steps + anneal_steps <= MAX_SGD_STEPS:  # also an overflow to inf (a tiny --lr)
        raise InputError(f"SGD would need {main_steps + anneal_steps:.3g} steps (more than {MAX_SGD_STEPS}); "
                         "use a larger --lr, a smaller --dim or --methods ode,gd")
    return {"lr": lr, "steps": max(1, int(math.ceil(main_steps))), "flow_step": flow_step,
            "batch": QUICK_SGD_BATCH if quick else SGD_BATCH, "anneal_lr": lr / SGD_ANNEAL,
            "anneal_steps": int(math.ceil(anneal_steps)), "anneal_time": anneal_time,
            "psi": "setting31", "loss": "qwem"}


def _run_sgd(scenario: Scenario, prediction: ClosedForm, initial: np.ndarray, plan: dict, device: str,
             progress: bool = False):
    """The two SGD phases (seeds seed and seed + 1), joined into one result in flow time."""
    from sims.simulators.sgd import run_sgd_phases

    return run_sgd_phases(scenario.stats, prediction, initial, plan["lr"], plan["steps"], plan["anneal_lr"],
                          plan["anneal_steps"], seed=scenario.seed, batch=plan["batch"], loss=plan["loss"],
                          negatives=scenario.negatives, psi=plan["psi"], device=device, progress=progress)


def _snapshots(case: FlowCase) -> list:
    """W before step 1, between steps 1 and 2, between steps 2 and 3 (fewer with fewer modes)."""
    from theory.dynamics import plateau_midpoints

    times = plateau_midpoints(case.predicted_steps)[:3]
    labels = ["before step 1", "between steps 1 and 2", "between steps 2 and 3"][: len(times)]
    states = case.flow_states(times)
    return [(label, float(t), states[float(t)]) for label, t in zip(labels, times)]


def _alignment(case: FlowCase) -> dict:
    """Silent alignment for the figure: at each mode's 1 % time, overlap of W's top-k subspace and s_k^2 / lam_k."""
    p = case.prediction
    times = case.alignment_times(0.01)
    states = case.flow_states(times)
    overlaps, heights = [], []
    for k, t in enumerate(times, 1):
        w = states[float(t)]
        overlaps.append(subspace_overlap(p.learned_directions, left_singular_basis(w, k), k))
        heights.append(float(np.linalg.svd(w, compute_uv=False)[k - 1] ** 2 / p.learned_eigenvalues[k - 1]))
    return {"times": np.asarray(times), "overlap": np.asarray(overlaps), "height": np.asarray(heights)}


def all_eigenvalues(prediction: ClosedForm) -> np.ndarray:
    """Every eigenvalue of M* for the spectrum figure (dense, V <= 3000), else the computed top ones."""
    if prediction.spectrum.complete or prediction.size > 3000:
        return prediction.eigenvalues
    import scipy.linalg

    return scipy.linalg.eigvalsh(prediction.target)[::-1]


def _predict(scenario: Scenario, simulators: tuple, notes: list) -> tuple:
    prediction = closed_form(scenario.target, scenario.dim)
    if prediction.learned_modes == 0:
        raise InputError("M* has no positive eigenvalue among its top d: nothing is learned, so there are no "
                         "steps to report")
    m, dim = prediction.learned_modes, prediction.dim
    if m < dim:
        notes.append(f"only {m} of the top d = {dim} eigenvalues are positive: {dim - m} singular values stay at 0.")
    initial = random_init(prediction.size, dim, scenario.init_scale, scenario.seed)
    case = FlowCase(prediction, initial, label=scenario.source)
    if not np.all(np.isfinite(case.predicted_steps)):   # InputError above when the init is not small
        raise InputError("the QR predictor gives no finite step time (W(0) has no component along some mode); "
                         "change --seed")
    return prediction, initial, case


def run_report(scenario: Scenario, *, methods=SIMULATORS, lr: float | None = None, device: str = "auto",
               quick: bool = False, progress: bool = False) -> Report:
    """Predict, simulate with each simulator, take the embedding snapshots, evaluate the claims."""
    from sims.pipelines.report.claims import check_claims

    timings: dict[str, float] = {}
    notes: list[str] = []
    start = time.perf_counter()
    simulators = tuple(methods)
    if "sgd" in simulators and scenario.stats is None:
        simulators = tuple(m for m in simulators if m != "sgd")
        notes.append("SGD dropped: it samples word pairs, so it needs co-occurrences (--cooccurrence), "
                     "not a bare target matrix (--matrix).")
    prediction, initial, case = _predict(scenario, simulators, notes)
    gd = gd_plan(prediction, case, lr, strict="gd" in simulators or "sgd" in simulators)
    if "gd" in simulators and gd["t_end"] < case.t_end:
        notes.append(f"GD runs to t = {gd['t_end']:.4g} (past the separated steps), not to the flow's horizon "
                     f"{case.t_end:.4g}: that would take more than {MAX_GD_STEPS} steps.")
    sgd = sgd_plan(prediction, case.predicted_steps, gd["lr"], quick) if "sgd" in simulators else None
    if gd["unstable"] and ("gd" in simulators or "sgd" in simulators):
        runs = [m.upper() for m in ("gd", "sgd") if m in simulators]
        notes.append(f"unstable learning rate: eta = {gd['lr']:.4g} is above GD's stability limit "
                     f"{prediction.gd_stability_limit:.4g} (eta lam_1 = {gd['lr_times_lambda1']:.3g}); "
                     f"{' and '.join(runs)} cannot settle at the minimiser, and "
                     f"{'their' if len(runs) > 1 else 'its'} claims are not applicable.")
    timings["predict_s"] = time.perf_counter() - start
    results = _simulate(scenario, prediction, initial, case, simulators, gd, sgd, device, progress, timings)
    snapshot_start = time.perf_counter()
    snapshots, alignment = _snapshots(case), _alignment(case)
    timings["snapshots_s"] = time.perf_counter() - snapshot_start
    parameters = _parameters(scenario, prediction, case, simulators, gd, sgd, device, quick)
    report = Report(scenario, prediction, initial, all_eigenvalues(prediction), case.strengths, case.predicted_steps,
                    float(prediction.characteristic_times(scenario.init_scale)[0]), case.t_end, gd["lr"], results,
                    snapshots, alignment, [], parameters, notes, timings)
    report.claims = check_claims(report)
    timings["total_s"] = time.perf_counter() - start
    return report


def _simulate(scenario, prediction, initial, case, simulators, gd, sgd, device, progress, timings) -> dict:
    results: dict[str, SimulationResult] = {}
    bar = _progress(progress, len(simulators))
    try:
        if "ode" in simulators:
            with _phase(bar, timings, "ode"):
                results["ode"] = case.ode
        if "gd" in simulators:
            from sims.simulators.gd import run_gd

            with _phase(bar, timings, "gd"):
                results["gd"] = run_gd(prediction, initial, gd["lr"], gd["steps"], device=device, dtype="float64",
                                       record_every=gd["record_every"], progress=progress)
        if "sgd" in simulators:
            with _phase(bar, timings, "sgd"):
                results["sgd"] = _run_sgd(scenario, prediction, initial, sgd, device, progress)
    finally:
        if bar is not None:
            bar.close()
    return results


def _parameters(scenario, prediction, case, simulators, gd, sgd, device, quick) -> dict:
    parameters = {
        "source": scenario.source, "problem": scenario.description, "size": prediction.size, "dim": prediction.dim,
        "learned_modes": prediction.learned_modes, "init_scale": scenario.init_scale, "seed": scenario.seed,
        "negatives": scenario.negatives, "methods": list(simulators), "device": device, "quick": quick,
        "t_end": case.t_end, "tau1": float(prediction.characteristic_times(scenario.init_scale)[0]),
        "gd_lr": gd["lr"], "gd_steps": gd["steps"], "gd_t_end": gd["t_end"],
        "gd_lr_times_lambda1": gd["lr_times_lambda1"], "gd_stability_limit": gd["stability_limit"],
        "gd_unstable": gd["unstable"], "min_separation": MIN_SEPARATION,
        "separation": case.separations.tolist(),
    }
    if sgd:
        parameters["sgd"] = dict(sgd)
    return parameters
