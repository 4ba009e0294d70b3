"""The `w2v-theory report` pipeline: one scenario run through theory, ODE, GD and SGD, with its claims checked.

`build_scenario` fixes the problem (the built-in stepped co-occurrence problem, or the user's
matrix), `run_report` simulates it and checks every claim against a named tolerance of
theory/tolerances.py, and `write_report` writes report.md, summary.json and the figures into a
folder (all-or-nothing, through sims.io.staged_output, by the caller).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sims.io import json_text
from sims.simulators.ode import run_ode, sample_times
from sims.data.synthetic import planted_joint, zipf_unigram
from sims.simulators.trajectory import SimulationResult, gram_gap
from theory.predictions import ClosedForm, closed_form, random_init
from theory.target import Cooccurrence, cooccurrence, target_matrix
from theory.tolerances import tolerance
from theory.validation import InputError, check_positive

METHODS = ("ode", "gd", "sgd")

# The built-in problem: a planted co-occurrence model P_ij = p_i p_j (1 + sum_r a_r u_r(i) u_r(j)) with a
# Zipfian unigram. Eight planted strengths in ratio 0.8 give M* eight positive eigenvalues with relative
# gaps ~0.2; two negative strengths give large negative eigenvalues (|lam| > lam_d: never learned).
# The planted directions are part of the problem (fixed, like a data set); --seed draws W(0) and the
# SGD samples. A mild Zipf exponent keeps Setting-3.1 weights 1/(P_ij + P_i P_j) within a factor ~2
# of uniform, so pair-sampled SGD is not dominated by the rarest pairs.
PROBLEM = {"size": 200, "dim": 8, "zipf_exponent": 0.3, "ratio": 0.8, "negatives": (-0.3, -0.6), "seed": 0}
QUICK_PROBLEM = {"size": 60, "dim": 4, "zipf_exponent": 0.3, "ratio": 0.7, "negatives": (-0.3, -0.6), "seed": 0}
# sigma = 1e-12 makes ln(1/sigma^2) = 55, so relative gaps of ~0.2 already give a separation
# gap * ln(1/sigma^2) ~ 10 >> 4 (THEORY §3); a larger sigma would need wider gaps, hence a smaller
# lam_d, and SGD's cost grows like 1/lam_d^2 (see SGD_* below).
DEFAULT_INIT_SCALE = 1e-12
# Plateaus and silent alignment are only claimed where lam_{k+1} (t_{k+1} - t_k) >= MIN_SEPARATION:
# "(gap) ln(1/sigma^2) >> 4" of THEORY §3 made concrete (twice the threshold).
MIN_SEPARATION = 8.0

# Learning rates from the theory: GD is stable iff eta < 2 / max(lam_1, (lam_1 - lam_min) / 2) (THEORY §4,
# refined: ClosedForm.gd_stability_limit); a tenth of that keeps the Euler delay eta lam_k / 4 per unit
# time (a few per cent) small but visible.
GD_LR_FRACTION = 0.1
# SGD (Setting 3.1, tied) advances flow time by 2 lr per step (sims/simulators/sgd.py); it takes GD's flow step,
# lr = eta / 2, so both carry the same O(eta) Euler delay. Its stationary noise (a deficit 1 - overlap
# proportional to lr) then masks the subspace at the end, so a second phase at lr / SGD_ANNEAL lets W
# settle for SGD_ANNEAL_EFOLDS times 1/(lam_m - lam_(m+1)): linearising the flow at the minimiser, a
# rotation of mode m towards v_j decays as exp(-(lam_m - lam_j) t / 2), so the deficit (its square)
# decays at rate lam_m - lam_j; 4 e-folds bring the main phase's deficit down to the annealed floor.
SGD_BATCH = 16384
QUICK_SGD_BATCH = 4096
SGD_ANNEAL = 6.0
SGD_ANNEAL_EFOLDS = 4.0
# Horizon: the last predicted step plus SETTLE_RATES relaxation times (below) and a
# margin of SETTLE_FRACTION of that step time (the step times are only predicted to ~1 %).
SETTLE_RATES = 10.0
SETTLE_FRACTION = 0.1
SGD_SETTLE_RATES = 3.0
ODE_SAMPLES = 600
GD_RECORDS = 2000
MAX_GD_STEPS = 200_000
MAX_SGD_STEPS = 20_000


@dataclass(frozen=True)
class Scenario:
    """One problem: the target M*, the statistics behind it (None for a bare matrix), d, sigma, seed."""

    target: np.ndarray = field(repr=False)
    stats: Cooccurrence | None = field(repr=False)
    dim: int
    init_scale: float
    seed: int
    source: str
    negatives: float = 1.0
    description: dict = field(default_factory=dict)


def built_in_problem(quick: bool = False) -> tuple[Cooccurrence, dict]:
    """The built-in planted co-occurrence statistics and the parameters that define them."""
    spec = dict(QUICK_PROBLEM if quick else PROBLEM)
    strengths = list(spec["ratio"] ** np.arange(spec["dim"])) + list(spec["negatives"])
    joint = planted_joint(zipf_unigram(spec["size"], spec["zipf_exponent"]), strengths, seed=spec["seed"])
    spec["strengths"] = [float(s) for s in strengths]
    spec["negatives"] = list(spec["negatives"])
    return cooccurrence(joint), spec


def build_scenario(*, target=None, stats: Cooccurrence | None = None, dim: int | None = None,
                   init_scale: float | None = None, seed: int = 0, quick: bool = False, source: str | None = None,
                   negatives: float = 1.0) -> Scenario:
    """The built-in scenario when neither `target` nor `stats` is given, else the user's problem."""
    scale = check_positive(DEFAULT_INIT_SCALE if init_scale is None else init_scale, "--init-scale")
    if target is None and stats is None:
        stats, spec = built_in_problem(quick)
        target = target_matrix(stats)
        return Scenario(target, stats, spec["dim"] if dim is None else dim, scale, seed,
                        "built-in planted co-occurrence problem", 1.0, spec)
    if target is None:
        target = target_matrix(stats, negatives=negatives)
    size = target.shape[0]
    dim = min(PROBLEM["dim"], size - 1) if dim is None else dim
    return Scenario(target, stats, dim, scale, seed, source or "user matrix", negatives, {"size": size})


@dataclass
class Claim:
    """One checked statement: measured discrepancy vs the named tolerance; status pass / fail / skipped."""

    id: str
    statement: str
    method: str
    measured: float | None
    tolerance_name: str
    status: str
    detail: str = ""

    @property
    def tolerance(self) -> float:
        return tolerance(self.tolerance_name).value

    def as_dict(self) -> dict:
        return {"id": self.id, "statement": self.statement, "method": self.method, "status": self.status,
                "measured": self.measured, "tolerance": self.tolerance, "tolerance_name": self.tolerance_name,
                "tolerance_reason": tolerance(self.tolerance_name).reason, "detail": self.detail}


def _check(claim_id, statement, method, measured, name, detail="") -> Claim:
    measured = float(measured)
    status = "pass" if math.isfinite(measured) and tolerance(name).holds(measured) else "fail"
    return Claim(claim_id, statement, method, measured, name, status, detail)


def _skip(claim_id, statement, method, name, reason) -> Claim:
    return Claim(claim_id, statement, method, None, name, "skipped", reason)


@dataclass
class Report:
    """Everything the report shows: the scenario, predictions, simulations, snapshots and claims."""

    scenario: Scenario
    prediction: ClosedForm
    initial: np.ndarray
    all_eigenvalues: np.ndarray
    strengths: np.ndarray            # QR r_k(0)^2 of the learned modes
    predicted_steps: np.ndarray      # QR predictor (flow time)
    tau1: float
    t_end: float
    lr: float
    results: dict                    # method -> SimulationResult
    snapshots: list                  # (label, time, W) for the embedding figure
    alignment: dict                  # silent alignment per mode
    claims: list
    parameters: dict
    notes: list
    timings: dict
    realtext: dict | None = None

    @property
    def step_times(self) -> dict:
        out = {"predicted": self.predicted_steps}
        for method in METHODS:
            if method in self.results:
                out[method] = self.results[method].measured_step_times()
        return out

    @property
    def failed(self) -> list:
        return [c for c in self.claims if c.status == "fail"]


def parse_methods(text: str) -> tuple:
    """'ode,gd,sgd' -> ('ode', 'gd', 'sgd') in canonical order; InputError on unknown or empty."""
    names = [part.strip().lower() for part in str(text).split(",") if part.strip()]
    unknown = sorted(set(names) - set(METHODS))
    if unknown or not names:
        raise InputError(f"--methods must be a comma list of {', '.join(METHODS)}, got {text!r}")
    return tuple(m for m in METHODS if m in names)


def mode_times_at_fraction(prediction: ClosedForm, strengths: np.ndarray, fraction: float) -> np.ndarray:
    """Times at which the logistic s_k^2(t) from s_k^2(0) = strengths reaches `fraction` * lam_k (Lemma 3.1).

    s^2(t) = lam u0 e^{lam t} / (lam + u0 (e^{lam t} - 1)) = f lam  <=>  e^{lam t} = f (lam - u0) / (u0 (1 - f)).
    """
    lam = prediction.learned_eigenvalues
    return np.log(fraction * (lam - strengths) / (strengths * (1.0 - fraction))) / lam


def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="report", unit="phase", leave=False)


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


def run_report(scenario: Scenario, *, methods=METHODS, lr: float | None = None, device: str = "auto",
               quick: bool = False, progress: bool = False) -> Report:
    """Predict, simulate with each method, take the embedding snapshots, check the claims."""
    timings: dict[str, float] = {}
    notes: list[str] = []
    start = time.perf_counter()
    methods = tuple(methods)
    if "sgd" in methods and scenario.stats is None:
        methods = tuple(m for m in methods if m != "sgd")
        notes.append("SGD dropped: it samples word pairs, so it needs co-occurrences (--cooccurrence), "
                     "not a bare target matrix (--matrix).")
    prediction = closed_form(scenario.target, scenario.dim)
    if prediction.learned_modes == 0:
        raise InputError("M* has no positive eigenvalue: nothing is learned, so there are no steps to report")
    size, dim, m = prediction.size, prediction.dim, prediction.learned_modes
    if m < dim:
        notes.append(f"only {m} of the top d = {dim} eigenvalues are positive: {dim - m} singular values stay at 0.")
    lam = prediction.learned_eigenvalues
    initial = random_init(size, dim, scenario.init_scale, scenario.seed)
    strengths = prediction.random_initial_strengths(initial)
    predicted = prediction.random_step_times(initial)   # InputError when the init is not small
    if not np.all(np.isfinite(predicted)):
        raise InputError("the QR predictor gives no finite step time (W(0) has no component along some mode); "
                         "change --seed")
    tau1 = float(prediction.characteristic_times(scenario.init_scale)[0])
    t_last = float(predicted[-1])
    # After the last step the rotation of mode m towards the first unlearned mode decays at rate
    # lam_m - max(lam_(m+1), 0) <= lam_m (see SGD_ANNEAL_EFOLDS), mode m's own height at rate lam_m.
    below = max(float(prediction.eigenvalues[m]), 0.0) if len(prediction.eigenvalues) > m else 0.0
    t_end = t_last * (1.0 + SETTLE_FRACTION) + SETTLE_RATES / (lam[-1] - below)
    eta = GD_LR_FRACTION * prediction.gd_stability_limit if lr is None else check_positive(lr, "--lr")
    gd_steps = int(math.ceil(t_end / eta))
    if "gd" in methods and gd_steps > MAX_GD_STEPS:
        raise InputError(f"GD would need {gd_steps} steps to reach the end of training at t = {t_end:.3g} with lr "
                         f"{eta:.3g} (lam_1/lam_m = {lam[0] / lam[-1]:.3g}, "
                         f"lam_m - lam_(m+1) = {lam[-1] - below:.3g}); "
                         "use a larger --lr, a smaller --dim or --methods ode")
    sgd_plan = _sgd_plan(prediction, predicted, eta, quick) if "sgd" in methods else None
    if sgd_plan and sgd_plan["steps"] + sgd_plan["anneal_steps"] > MAX_SGD_STEPS:
        raise InputError(f"SGD would need {sgd_plan['steps'] + sgd_plan['anneal_steps']} steps (more than "
                         f"{MAX_SGD_STEPS}); use a larger --lr, a smaller --dim or --methods ode,gd")
    full = _all_eigenvalues(prediction)
    timings["predict_s"] = time.perf_counter() - start

    bar = _progress(progress, len(methods) + 1)
    results: dict[str, SimulationResult] = {}
    midpoints = _plateau_midpoints(predicted)
    try:
        if "ode" in methods:
            with _phase(bar, timings, "ode"):
                grid = np.unique(np.concatenate([sample_times(prediction, initial, t_end, ODE_SAMPLES),
                                                 midpoints[midpoints <= t_end]]))
                results["ode"] = run_ode(prediction, initial, t_end, times=grid)
        if "gd" in methods:
            from sims.simulators.gd import run_gd

            with _phase(bar, timings, "gd"):
                results["gd"] = run_gd(prediction, initial, eta, gd_steps, device=device, dtype="float64",
                                       record_every=max(1, gd_steps // GD_RECORDS))
        if "sgd" in methods:
            with _phase(bar, timings, "sgd"):
                results["sgd"] = _run_sgd(scenario, prediction, initial, sgd_plan, device)
        with _phase(bar, timings, "snapshots"):
            snapshot_times = _snapshot_times(predicted)
            alignment_times = mode_times_at_fraction(prediction, strengths, 0.01)
            states = _flow_states(prediction, initial, np.concatenate([snapshot_times, alignment_times]))
            snapshots = [(label, t, states[t]) for label, t in zip(_snapshot_labels(m), snapshot_times)]
            alignment = _alignment(prediction, alignment_times, states)
    finally:
        if bar is not None:
            bar.close()

    parameters = {
        "source": scenario.source, "problem": scenario.description, "size": size, "dim": dim,
        "learned_modes": m, "init_scale": scenario.init_scale, "seed": scenario.seed,
        "negatives": scenario.negatives, "methods": list(methods), "device": device, "quick": quick,
        "t_end": t_end, "tau1": tau1, "gd_lr": eta, "gd_steps": gd_steps, "gd_lr_times_lambda1": eta * lam[0],
        "min_separation": MIN_SEPARATION, "separation": _separations(prediction, predicted).tolist(),
    }
    if sgd_plan:
        parameters["sgd"] = {k: v for k, v in sgd_plan.items()}
    report = Report(scenario, prediction, initial, full, strengths, predicted, tau1, t_end, eta, results,
                    snapshots, alignment, [], parameters, notes, timings)
    report.claims = check_claims(report)
    timings["total_s"] = time.perf_counter() - start
    return report


def _all_eigenvalues(prediction: ClosedForm) -> np.ndarray:
    """Every eigenvalue of M* for the spectrum figure (dense, V <= 3000), else the computed top ones."""
    if prediction.spectrum.complete:
        return prediction.eigenvalues
    if prediction.size <= 3000:
        import scipy.linalg

        return scipy.linalg.eigvalsh(prediction.target)[::-1]
    return prediction.eigenvalues


def _sgd_plan(prediction: ClosedForm, predicted: np.ndarray, eta: float, quick: bool) -> dict:
    """Main phase at lr = eta / 2 (flow step eta, as GD) until the last step has settled, then lr / SGD_ANNEAL."""
    lam = prediction.learned_eigenvalues
    lr = eta / 2.0
    flow_step = 2.0 * lr
    t_main = float(predicted[-1]) * (1.0 + SETTLE_FRACTION) + SGD_SETTLE_RATES / lam[-1]
    steps = int(math.ceil(t_main / flow_step))
    below = prediction.eigenvalues[len(lam)] if len(prediction.eigenvalues) > len(lam) else 0.0
    relax = 1.0 / max(lam[-1] - max(below, 0.0), 1e-12)
    anneal_time = SGD_ANNEAL_EFOLDS * relax
    anneal_steps = int(math.ceil(anneal_time / (flow_step / SGD_ANNEAL)))
    return {"lr": lr, "steps": steps, "flow_step": flow_step, "batch": QUICK_SGD_BATCH if quick else SGD_BATCH,
            "anneal_lr": lr / SGD_ANNEAL, "anneal_steps": anneal_steps, "anneal_time": anneal_time,
            "psi": "setting31", "loss": "qwem"}


def _run_sgd(scenario: Scenario, prediction: ClosedForm, initial: np.ndarray, plan: dict, device: str):
    """The two SGD phases, merged into one result in flow time (seed, seed + 1 for the two samplers)."""
    from sims.simulators.sgd import run_sgd

    common = dict(batch=plan["batch"], loss=plan["loss"], negatives=scenario.negatives, psi=plan["psi"],
                  device=device)
    main = run_sgd(scenario.stats, prediction, initial, plan["lr"], plan["steps"], seed=scenario.seed, **common)
    if main.diverged or plan["anneal_steps"] == 0:
        return main
    anneal = run_sgd(scenario.stats, prediction, main.embeddings, plan["anneal_lr"], plan["anneal_steps"],
                     seed=scenario.seed + 1, **common)
    return _concatenate(main, anneal)


def _concatenate(first: SimulationResult, second: SimulationResult) -> SimulationResult:
    """Second run continues the first: shift its times and drop its duplicate starting record."""
    offset = float(first.times[-1])
    join = lambda a, b: np.concatenate([a, b[1:]])  # noqa: E731
    return dataclasses.replace(
        second, times=join(first.times, second.times + offset),
        singular_values=join(first.singular_values, second.singular_values), error=join(first.error, second.error),
        loss=join(first.loss, second.loss), effective_rank=join(first.effective_rank, second.effective_rank),
        overlap=join(first.overlap, second.overlap), diverged=first.diverged or second.diverged,
        extra={**second.extra, "phase_boundary": offset, "first_phase": {k: v for k, v in first.extra.items()
                                                                         if np.isscalar(v)}})


def _plateau_midpoints(predicted: np.ndarray) -> np.ndarray:
    """Midway between consecutive predicted steps (and between t = 0 and the first step)."""
    edges = np.concatenate([[0.0], predicted])
    return 0.5 * (edges[:-1] + edges[1:])


def _snapshot_times(predicted: np.ndarray) -> np.ndarray:
    """Before step 1, between steps 1 and 2, between steps 2 and 3 (fewer if fewer modes)."""
    mids = _plateau_midpoints(predicted)
    return mids[: min(3, len(mids))]


def _snapshot_labels(m: int) -> list:
    labels = ["before step 1", "between steps 1 and 2", "between steps 2 and 3"]
    return labels[: min(3, m)]


def _flow_states(prediction: ClosedForm, initial: np.ndarray, times: np.ndarray) -> dict:
    """W(t) of the gradient flow at each time, each integrated from W(0).

    run_ode returns only its final W; restarting it from an intermediate W would loosen its absolute
    tolerance (atol = rtol x rms W(0)) for the still-tiny modes, so every state is integrated from 0.
    """
    states = {}
    for t in np.unique(times):
        run = run_ode(prediction, initial, float(t), times=[float(t)])
        states[float(t)] = run.embeddings
    return {t: states[float(t)] for t in times}


def _alignment(prediction: ClosedForm, times: np.ndarray, states: dict) -> dict:
    """Silent alignment: when mode k reaches 1 % of lam_k, overlap of W's top-k left singular subspace with v_1..v_k."""
    lam = prediction.learned_eigenvalues
    overlaps, heights = [], []
    for k, t in enumerate(times, 1):
        w = states[t]
        left, sv, _ = np.linalg.svd(w, full_matrices=False)
        directions = prediction.learned_directions[:, :k]
        overlaps.append(float(np.linalg.norm(directions.T @ left[:, :k]) ** 2 / k))
        heights.append(float(sv[k - 1] ** 2 / lam[k - 1]))
    return {"times": np.asarray(times), "overlap": np.asarray(overlaps), "height": np.asarray(heights)}


def _separations(prediction: ClosedForm, predicted: np.ndarray) -> np.ndarray:
    """lam_{k+1} (t_{k+1} - t_k): how many e-folds of mode k+1 separate steps k and k+1 (first: lam_1 t_1 / 2)."""
    lam = prediction.learned_eigenvalues
    edges = np.concatenate([[0.0], predicted])
    return lam * np.diff(edges)


# --------------------------------------------------------------------------------------------- claims

def check_claims(report: Report) -> list:
    """Every claim of the report, each measured against a named tolerance (or skipped, with the reason)."""
    p, res = report.prediction, report.results
    lam, m = p.learned_eigenvalues, p.learned_modes
    claims = []
    ode = res.get("ode")
    no_ode = "the ODE was not run (--methods)"
    separation = np.asarray(report.parameters["separation"])
    alignment_separation = _alignment_separations(p, report.predicted_steps)
    not_separated = (f"no step is separated enough: every lam_(k+1) (t_(k+1) - t_k) < {MIN_SEPARATION:g} "
                     "(THEORY §3 needs gap x ln(1/sigma^2) >> 4)")

    statement = "final W W^T equals the eigen-truncation sum_(k<=d) max(lam_k, 0) v_k v_k^T (Theorem 1)"
    claims.append(_check("final-gram", statement + "; measured: ||WW^T - G*||_F / lam_m at the end",
                         "ode", _final_gram_gap(p, ode.embeddings), "converged_gram") if ode else
                  _skip("final-gram", statement, "ode", "converged_gram", no_ode))

    statement = "half-height step times match the QR predictor (THEORY §3); measured: max_k |t_k / t_k^QR - 1|"
    if ode:
        rel = np.abs(ode.measured_step_times() / report.predicted_steps - 1.0)
        claims.append(_check("step-times-qr", statement, "ode", np.max(rel), "step_time_qr"))
    else:
        claims.append(_skip("step-times-qr", statement, "ode", "step_time_qr", no_ode))

    statement = ("modes are learned one at a time in decreasing-lam order and the effective rank rises by exactly "
                 "one per step (THEORY §3); measured: number of violations")
    if ode:
        claims.append(_check("learning-order", statement, "ode", _order_violations(ode, m), "exact_count"))
    else:
        claims.append(_skip("learning-order", statement, "ode", "exact_count", no_ode))

    statement = ("midway between steps k and k+1 the error ||WW^T - M*||_F^2 sits on the plateau E_k = "
                 "sum_(j>k) lam_j^2 (THEORY §2); measured: max_k |E(t_mid) - E_k| / lam_(k+1)^2")
    if not ode:
        claims.append(_skip("plateaus", statement, "ode", "plateau_midpoint", no_ode))
    elif not np.any(separation >= MIN_SEPARATION):
        claims.append(_skip("plateaus", statement, "ode", "plateau_midpoint", not_separated))
    else:
        eligible = separation >= MIN_SEPARATION
        mids = _plateau_midpoints(report.predicted_steps)
        measured = np.interp(mids, ode.times, ode.error)
        deviation = np.abs(measured - p.plateau_errors[:m]) / lam ** 2
        claims.append(_check("plateaus", statement, "ode", np.max(deviation[eligible]), "plateau_midpoint",
                             _eligibility(eligible, "plateau", 0)))

    statement = ("silent alignment: when s_k^2 reaches 1 % of lam_k, W's top-k left singular subspace already "
                 "spans v_1..v_k (THEORY §3); measured: max_k (1 - overlap_k)")
    eligible = alignment_separation >= MIN_SEPARATION
    if not np.any(eligible):
        claims.append(_skip("silent-alignment", statement, "ode", "silent_alignment", not_separated))
    else:
        claims.append(_check("silent-alignment", statement, "ode",
                             np.max(1.0 - report.alignment["overlap"][eligible]), "silent_alignment",
                             _eligibility(eligible, "mode", 1)))

    gd = res.get("gd")
    statement = ("GD tracks the flow up to its O(eta) Euler delay: t_k^GD - t_k^ODE <= (eta lam_k / 4) t_k^ODE "
                 "(THEORY §4); measured: max_k |t_k^GD - t_k^ODE| / (eta lam_k t_k^ODE / 4)")
    if gd is None or ode is None:
        claims.append(_skip("gd-tracks-ode", statement, "gd", "gd_euler_delay",
                            "GD or the ODE was not run (--methods)"))
    elif gd.diverged:
        claims.append(Claim("gd-tracks-ode", statement, "gd", float("inf"), "gd_euler_delay", "fail",
                            gd.extra.get("reason", "GD diverged")))
    elif not np.any(alignment_separation >= MIN_SEPARATION):
        claims.append(_skip("gd-tracks-ode", statement, "gd", "gd_euler_delay", not_separated))
    else:
        # The delay eta lam_k / 4 is that of a mode growing on its own: claimed for separated modes only.
        eligible = alignment_separation >= MIN_SEPARATION
        t_ode = ode.measured_step_times()
        delay = np.abs(gd.measured_step_times() - t_ode) / (report.lr * lam * t_ode / 4.0)
        claims.append(_check("gd-tracks-ode", statement, "gd", np.max(delay[eligible]), "gd_euler_delay",
                             _eligibility(eligible, "mode", 1)))

    sgd = res.get("sgd")
    no_sgd = "SGD was not run (--methods, or a bare --matrix has no co-occurrences to sample)"
    statement = ("pair-sampled SGD (Setting 3.1) ends in M*'s top-d eigenspace: overlap ||V_m^T U_m||_F^2 / m >= 0.95; "
                 "measured: 1 - final overlap")
    claims.append(_check("sgd-overlap", statement, "sgd", 1.0 - sgd.overlap[-1], "report_sgd_overlap")
                  if sgd else _skip("sgd-overlap", statement, "sgd", "report_sgd_overlap", no_sgd))
    statement = "SGD learns the modes in the predicted order, every one of them; measured: number of violations"
    claims.append(_check("sgd-order", statement, "sgd", _step_order_violations(sgd.measured_step_times()),
                         "exact_count") if sgd else _skip("sgd-order", statement, "sgd", "exact_count", no_sgd))
    return claims


def _final_gram_gap(prediction: ClosedForm, w: np.ndarray) -> float:
    """||WW^T - G*||_F / lam_m, formed densely when V x V is small: the expanded form used by the
    simulators (sims.simulators.trajectory.gram_gap) cancels catastrophically near the minimiser and would report 0."""
    if prediction.size > 3000:
        return gram_gap(prediction, w)
    return float(np.linalg.norm(w @ w.T - prediction.gram) / prediction.learned_eigenvalues[-1])


def _alignment_separations(prediction: ClosedForm, predicted: np.ndarray) -> np.ndarray:
    """For mode k, the separation from its competitor k+1: lam_(k+1)(t_(k+1) - t_k); for the last learned mode,
    (lam_m - max(lam_(m+1), 0)) t_m, the e-folds by which it outgrows the first unlearned mode."""
    lam = prediction.learned_eigenvalues
    m = len(lam)
    below = max(float(prediction.eigenvalues[m]), 0.0) if len(prediction.eigenvalues) > m else 0.0
    tail = (lam[-1] - below) * predicted[-1]
    return np.append(lam[1:] * np.diff(predicted), tail)


def _eligibility(eligible: np.ndarray, what: str, first: int) -> str:
    """Which plateaus / modes a claim covered, when the separation condition excluded some."""
    if np.all(eligible):
        return ""
    left_out = ", ".join(str(i + first) for i in np.flatnonzero(~eligible))
    return f"{what}s {left_out} left out: separation < {MIN_SEPARATION:g}"


def _step_order_violations(steps: np.ndarray) -> int:
    """Modes never learned plus consecutive step times out of order."""
    missing = int(np.count_nonzero(~np.isfinite(steps)))
    finite = steps[np.isfinite(steps)]
    return missing + int(np.count_nonzero(np.diff(finite) <= 0))


def _order_violations(result: SimulationResult, m: int) -> int:
    """Step-order violations plus rank jumps other than 0 or +1 between records, plus a wrong final rank."""
    jumps = np.diff(result.effective_rank)
    bad = int(np.count_nonzero((jumps != 0) & (jumps != 1)))
    return _step_order_violations(result.measured_step_times()) + bad + int(result.effective_rank[-1] != m)


# --------------------------------------------------------------------------------------------- output

FIGURES = {
    "overview": "Overview: loss staircase, modes of the ODE run, step times, spectrum",
    "staircase": "Loss staircase: QWEM loss above its final value vs rescaled time, with the predicted plateaus",
    "modes": "Singular values s_k^2 / lam_k vs rescaled time, closed-form logistic curves overlaid",
    "step_times": "Predicted (QR) vs measured step times for every method",
    "embeddings": "Embeddings projected on M*'s top directions: a point, then a line, then a plane",
    "overlap": "Subspace overlap with M*'s top eigenvectors over time, and silent alignment",
    "spectrum": "The spectrum of M*, learned modes marked",
}


def summary(report: Report) -> dict:
    """The summary.json payload (NaN -> null is done by the writer)."""
    p = report.prediction
    out = {
        "claims": [c.as_dict() for c in report.claims],
        "all_claims_hold": not report.failed,
        "step_times": {k: v for k, v in report.step_times.items()},
        "parameters": report.parameters,
        "prediction": {
            "eigenvalues": p.eigenvalues, "learned_eigenvalues": p.learned_eigenvalues,
            "plateau_errors": p.plateau_errors, "plateau_losses": p.plateau_losses(),
            "qr_initial_strengths": report.strengths, "limit_step_ratios": p.limit_step_ratios(),
        },
        "silent_alignment": report.alignment,
        "simulations": {name: {"device": r.device, "converged": r.converged, "diverged": r.diverged,
                               "final_overlap": float(r.overlap[-1]), "final_error": r.final_error,
                               "records": int(len(r.times))}
                        for name, r in report.results.items()},
        "figures": {name: f"{name}.png" for name in FIGURES},
        "notes": report.notes,
        "timings": report.timings,
    }
    if report.realtext is not None:
        out["real_text"] = {k: v for k, v in report.realtext.items() if k != "markdown"}
    return out


def write_report(report: Report, folder: Path, *, svg: bool = False, command: str = "w2v-theory report") -> Path:
    """Write the figures, report.md and summary.json into `folder` (a staging folder); return report.md."""
    from sims.pipelines.report import figures

    folder = Path(folder)
    t0 = time.perf_counter()
    figures.write_all(report, folder, svg=svg)
    report.timings["figures_s"] = time.perf_counter() - t0
    (folder / "summary.json").write_text(json_text(summary(report)))
    path = folder / "report.md"
    path.write_text(markdown(report, command))
    return path


def markdown(report: Report, command: str) -> str:
    p, prm = report.prediction, report.parameters
    lam = p.learned_eigenvalues
    steps = report.step_times
    held = sum(c.status == "pass" for c in report.claims)
    failed = len(report.failed)
    skipped = sum(c.status == "skipped" for c in report.claims)
    lines = [
        "# w2v-theory report",
        "",
        "Closed-form learning dynamics of word2vec (Karkada, Simon, Bahri, DeWeese, NeurIPS 2025) checked "
        "against simulation on one problem: theory (closed form + QR step-time predictor), gradient-flow ODE, "
        "full-batch GD and pair-sampled SGD. Conventions: THEORY.md (flow dW/dt = -1/2 (WW^T - M*) W, "
        "eigenvalues by value, half-height step times).",
        "",
        f"**{held} claims held, {failed} failed, {skipped} skipped.**",
        "",
        "## Problem",
        "",
        f"- source: {prm['source']}; V = {prm['size']}, d = {prm['dim']}, learned modes m = {prm['learned_modes']}",
        f"- top eigenvalues of M*: {_fmt_list(p.eigenvalues[: p.dim + 2])}; most negative: "
        f"{_fmt_list(np.sort(report.all_eigenvalues)[:3])}",
        f"- init W_ij(0) ~ N(0, sigma^2), sigma = {prm['init_scale']:g}, seed {prm['seed']}; "
        f"tau_1 = ln(lam_1/sigma^2)/lam_1 = {report.tau1:.4g}",
        f"- separation lam_(k+1)(t_(k+1) - t_k) between steps: {_fmt_list(prm['separation'][1:])} "
        f"(claims on plateaus and alignment need >= {MIN_SEPARATION:g})",
        f"- GD: lr eta = {prm['gd_lr']:.4g} (eta lam_1 = {prm['gd_lr_times_lambda1']:.3g}), {prm['gd_steps']} steps "
        f"to flow time {report.t_end:.4g}",
    ]
    if "sgd" in prm:
        s = prm["sgd"]
        lines.append(f"- SGD: QWEM, Setting 3.1 weights, batch {s['batch']} positive + {s['batch']} negative pairs, "
                     f"lr {s['lr']:.4g} (flow step {s['flow_step']:.3g}) for {s['steps']} steps, then lr "
                     f"{s['anneal_lr']:.3g} for {s['anneal_steps']} steps (flow time {s['anneal_time']:.3g} = "
                     f"{SGD_ANNEAL_EFOLDS:g}/(lam_m - lam_(m+1)))")
    lines += [f"- note: {n}" for n in report.notes]
    lines += ["", "Reproduce:", "", "```bash", command, "```", "", "## Claims", "",
              "| claim | method | statement | measured | tolerance | status |", "|---|---|---|---|---|---|"]
    for c in report.claims:
        measured = "—" if c.measured is None else f"{c.measured:.3g}"
        status = {"pass": "✅ pass", "fail": "❌ FAIL", "skipped": "⏭ skipped"}[c.status]
        # A bare | would end the table cell (norms and absolute values are full of them).
        statement = (c.statement + (f" — {c.detail}" if c.detail else "")).replace("|", "\\|")
        lines.append(f"| `{c.id}` | {c.method} | {statement} | {measured} | {c.tolerance:.3g} "
                     f"(`{c.tolerance_name}`) | {status} |")
    lines += ["", "Tolerances and why (theory/tolerances.py):", ""]
    for name in sorted({c.tolerance_name for c in report.claims}):
        lines.append(f"- `{name}` = {tolerance(name).value:g}: {tolerance(name).reason}")
    lines += ["", "## Step times (flow time units)", "",
              "| k | lam_k | predicted (QR) | " + " | ".join(m for m in METHODS if m in steps) + " |",
              "|---|---|---|" + "---|" * sum(m in steps for m in METHODS)]
    for k in range(p.learned_modes):
        row = [f"{k + 1}", f"{lam[k]:.4g}", f"{steps['predicted'][k]:.4g}"]
        row += [_fmt(steps[m][k]) for m in METHODS if m in steps]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Figures", ""]
    captions = {
        "overview": "**Overview.** Panels (a), (b) for the ODE, (c) and (f) below, on one page.",
        "staircase": "**(a) Loss staircase.** QWEM loss minus its predicted final value (log scale) against "
                     "rescaled time t/τ₁ (log scale, so that steps at λ₁/λ_k are evenly spread). "
                     "Dashed lines: the "
                     "predicted plateaus (1/4) Σ_{k<j≤m} λ_j². Each drop is one mode being learned. "
                     "SGD sits above the staircase by its stationary noise (an excess loss proportional to its "
                     "lr, spread over the directions M* does not reward); the annealed last phase lowers it.",
        "modes": "**(b) Mode by mode.** s_k²/λ_k for each learned mode (colour) and each method (panel), with the "
                 "closed-form logistic curves from the QR strengths r_k(0)² (thin black). GD's and SGD's curves sit "
                 "slightly to the right: the O(η) Euler delay.",
        "step_times": "**(c) Step times.** Measured half-height times against the QR prediction, per method; the "
                      "line is y = x.",
        "embeddings": "**(d) Embeddings grow one direction at a time.** Every word's embedding projected on the "
                      "directions that M*'s top two eigenvectors take in embedding space (W^T v_1, W^T v_2), at "
                      "three moments of the ODE run, on common axes: a point, then a line, then a plane.",
        "overlap": "**(e) Subspace overlap.** ‖V_mᵀ U_m‖²/m between M*'s top-m eigenvectors and W's top-m left "
                   "singular vectors, over time, per method; markers: the top-k overlap when mode k reaches 1 % of "
                   "λ_k (silent alignment).",
        "spectrum": "**(f) Spectrum of M*.** All eigenvalues by rank; learned modes filled, unlearned positive ones "
                    "hollow, negatives in red (never learned, however large).",
    }
    for name in FIGURES:
        lines += [f"### {FIGURES[name]}", "", f"![{FIGURES[name]}]({name}.png)", "", captions[name], ""]
    if report.realtext is not None:
        lines += [report.realtext.get("markdown", ""), ""]
    lines += ["## Timings", "", ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in report.timings.items()), ""]
    return "\n".join(lines)


def _fmt(value) -> str:
    return "never" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _fmt_list(values) -> str:
    return ", ".join(f"{v:.3g}" for v in values)
