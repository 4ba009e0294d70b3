"""The shipped maps' problem families: each cell's case, its failure class, the number drawn, and boundary curves."""

from __future__ import annotations

import functools

import numpy as np

from sims.claims.registry import Measurement, require
from theory import boundaries

__all__ = ["seeds_of", "flow_case", "qr_error_all_modes", "qr_class", "order_class", "measured_separation",
           "gd_case", "gd_class", "sgd_case", "sgd_class", "large_init_case", "large_init_class", "smallest_lead",
           "sgns_case", "sgns_class", "final_overlap", "separation_line", "gd_line", "sgd_floor_line",
           "qwem_last_step_line", "planted_problem", "sgd_learning_rate", "FLOW", "GD", "SGD", "SGNS"]

# Flow maps (ST-QR, ORDER, large init): lam_k = (1 - g)^(k-1), k = 1..3, one negative, a small bulk.
FLOW = {"size": 10, "modes": 3, "negative": -0.5, "bulk": 0.02}
# GD map: lam = 1, 0.6 (d = 2), lam_min = ratio x lam_1, W(0) ~ N(0, 1e-6) (it has a component along v_min).
GD = {"size": 8, "top": (1.0, 0.6), "bulk": 0.02, "sigma": 1e-3}
# SGD map: the report's planted Zipfian family (exponent 0.3), three planted directions, sigma = 1e-3; the
# learning rate is lr = flow_step / (2 lam_1), so one step advances the flow by lam_1 dt = flow_step at every V.
SGD = {"zipf": 0.3, "strengths": (1.0, 0.6, 0.36), "dim": 3, "sigma": 1e-3, "flow_step": 0.05, "planted_seed": 0,
       "deficit": 0.05, "relaxation": 4.0, "margin": 1.2}
# SGNS map: the conjecture test's family (V = 12, two planted directions), fixed; lr and batch as in the test.
SGNS = {"size": 12, "zipf": 0.5, "strengths": (2.0, 0.9), "dim": 2, "lr": 0.01, "batch": 2048, "planted_seed": 0}


def seeds_of(seed: int, count: int) -> list:
    """Independent integer seeds for a cell's parts (target eigenvectors, W(0), sampling)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(count)]


def _geometric_target(gap: float, seed: int, modes: int):
    from sims.data.synthetic import matrix_with_spectrum, stepped_spectrum
    from theory.predictions import closed_form

    top = (1.0 - gap) ** np.arange(modes)
    values = stepped_spectrum(FLOW["size"], top, negatives=[FLOW["negative"]], bulk=FLOW["bulk"], seed=seed)
    return closed_form(matrix_with_spectrum(values, seed), modes)


def flow_case(params: dict, seed: int):
    """FlowCase: lam_k = (1 - gap)^(k-1), W(0) ~ N(0, sigma^2)."""
    from sims.claims import FlowCase
    from theory.predictions import random_init

    target_seed, init_seed = seeds_of(seed, 2)
    prediction = _geometric_target(params["gap"], target_seed, FLOW["modes"])
    initial = random_init(FLOW["size"], FLOW["modes"], params["sigma"], init_seed)
    return FlowCase(prediction, initial, label=f"sigma={params['sigma']:.3g}, gap={params['gap']:.3g}, seed={seed}")


def qr_error_all_modes(case) -> Measurement:
    """ST-QR's quantity past its hypotheses: max_k |t_k / t_k^QR - 1| over every learned mode."""
    measured = case.ode.measured_step_times()
    require(np.all(np.isfinite(measured)), "every mode reaches half height", measured=measured)
    return Measurement(float(np.max(np.abs(measured / case.predicted_steps - 1.0))), case.predicted_steps, measured,
                       what="max_k |t_k / t_k^QR - 1| over all modes (past the separation hypothesis)")


def qr_class(case, outcome) -> str:
    m = outcome.measurement
    if m is None:
        return "not small init" if "small init" in outcome.reason else "unmeasured"
    if not np.isfinite(m.error):
        return "mode missing"
    return "within 1 %" if m.error <= 0.01 else ("1-10 %" if m.error <= 0.1 else "> 10 %")


def _order_counts(case) -> tuple:
    steps, rank = case.ode.measured_step_times(), case.ode.effective_rank
    finite = steps[np.isfinite(steps)]
    return (int(np.count_nonzero(~np.isfinite(steps))), int(np.count_nonzero(np.diff(finite) <= 0)),
            int(np.count_nonzero(~np.isin(np.diff(rank), [0, 1]))))


def order_class(case, outcome) -> str:
    missing, out_of_order, jumps = _order_counts(case)
    if missing:
        return "mode missing"
    if jumps:
        return "steps merged"
    return "out of order" if out_of_order else "one at a time"


def measured_separation(case, outcome) -> float:
    """min_k lam_(k+1) (t_(k+1) - t_k) of the ODE's measured step times: e-folds between neighbouring steps."""
    steps = case.ode.measured_step_times()
    lam = case.prediction.learned_eigenvalues
    return float(np.min(lam[1:] * np.diff(steps)))


def gd_case(params: dict, seed: int):
    """GdCase: lam = 1, 0.6 and lam_min = ratio, eta = eta_lam1 / lam_1."""
    from sims.claims.definitions.s4_stability import GdCase
    from sims.data.synthetic import matrix_with_spectrum, stepped_spectrum
    from theory.predictions import closed_form, random_init

    target_seed, init_seed = seeds_of(seed, 2)
    values = stepped_spectrum(GD["size"], GD["top"], negatives=[params["lambda_min_ratio"] * GD["top"][0]],
                              bulk=GD["bulk"], seed=target_seed)
    prediction = closed_form(matrix_with_spectrum(values, target_seed), len(GD["top"]))
    initial = random_init(GD["size"], len(GD["top"]), GD["sigma"], init_seed)
    return GdCase(prediction, initial, params["eta_lambda1"] / GD["top"][0],
                  label=f"eta lam_1={params['eta_lambda1']:.3g}, lam_min/lam_1={params['lambda_min_ratio']:.3g}")


def gd_class(case, outcome) -> str:
    from sims.claims.definitions.s4_stability import gd_outcome

    return gd_outcome(case)


@functools.lru_cache(maxsize=8)
def planted_problem(size: int, zipf: float, strengths: tuple, dim: int, seed: int):
    """(co-occurrence statistics, closed form) of the planted Zipfian family at vocabulary `size` (cached)."""
    from sims.data.synthetic import planted_joint, zipf_unigram
    from theory.predictions import closed_form
    from theory.target import cooccurrence, target_matrix

    stats = cooccurrence(planted_joint(zipf_unigram(size, zipf), list(strengths), seed))
    return stats, closed_form(target_matrix(stats), dim)


def _sgd_problem(size: int):
    return planted_problem(int(size), SGD["zipf"], SGD["strengths"], SGD["dim"], SGD["planted_seed"])


def sgd_learning_rate(prediction) -> float:
    return SGD["flow_step"] / (2.0 * float(prediction.eigenvalues[0]))


def sgd_case(params: dict, seed: int):
    """FlowCase with a finished SGD run (sampler = the panel) on the planted problem at V = size, batch = batch."""
    from sims.claims import FlowCase
    from sims.simulators.sgd import run_sgd
    from theory.predictions import random_init

    stats, prediction = _sgd_problem(params["size"])
    init_seed, sample_seed = seeds_of(seed, 2)
    initial = random_init(prediction.size, prediction.dim, SGD["sigma"], init_seed)
    lam = prediction.learned_eigenvalues
    gap = lam[-1] - max(float(prediction.eigenvalues[prediction.learned_modes]), 0.0)
    lr = sgd_learning_rate(prediction)
    t_stop = SGD["margin"] * float(np.max(prediction.random_step_times(initial))) + SGD["relaxation"] / gap
    steps = int(np.ceil(t_stop / (2.0 * lr)))
    sgd = run_sgd(stats, prediction, initial, lr, steps, batch=int(params["batch"]), seed=sample_seed, device="cpu",
                  dtype="float32", sampler=params["sampler"])
    return FlowCase(prediction, initial, label=f"V={params['size']}, batch={params['batch']}, {params['sampler']}",
                    sgd=sgd, sgd_plan={"lr": lr, "steps": steps, "batch": int(params["batch"])})


def sgd_class(case, outcome) -> str:
    if case.sgd.diverged:
        return "diverged"
    if case.sgd.effective_rank[-1] < case.prediction.learned_modes:
        return "modes missing"
    return "in subspace" if outcome.status == "pass" else "noise floor"


def large_init_case(params: dict, seed: int):
    """LargeInitCase: the flow family's target, W(0) ~ N(0, sigma^2) with sigma up to 1."""
    from sims.claims.definitions.conjectures import LargeInitCase
    from theory.predictions import random_init

    target_seed, init_seed = seeds_of(seed, 2)
    prediction = _geometric_target(params["gap"], target_seed, FLOW["modes"])
    initial = random_init(FLOW["size"], FLOW["modes"], params["sigma"], init_seed)
    return LargeInitCase(prediction, initial, label=f"sigma={params['sigma']:.3g}, gap={params['gap']:.3g}")


def smallest_lead(case, outcome) -> float:
    """min over consecutive below-half modes of lam_(k+1) (t_(k+1) - t_k); negative = reversed (NaN: < 2 such modes)."""
    leads = case.leads[np.isfinite(case.leads)]
    return float(np.min(leads)) if leads.size else float("nan")


def large_init_class(case, outcome) -> str:
    if np.count_nonzero(case.started_below) < 2:
        return "started above half"
    return "in order" if outcome.measurement.error == 0 else "reversed"


def sgns_case(params: dict, seed: int):
    """SgnsCase on the conjecture's planted problem, sigma and steps from the cell."""
    from sims.claims.definitions.conjectures import SgnsCase
    from theory.predictions import random_init

    stats, prediction = planted_problem(SGNS["size"], SGNS["zipf"], SGNS["strengths"], SGNS["dim"],
                                        SGNS["planted_seed"])
    init_seed, sample_seed = seeds_of(seed, 2)
    initial = random_init(SGNS["size"], SGNS["dim"], params["sigma"], init_seed)
    return SgnsCase(stats, prediction, initial, lr=SGNS["lr"], batch=SGNS["batch"], seed=sample_seed,
                    steps=int(params["steps"]), label=f"sigma={params['sigma']:.3g}, steps={params['steps']}")


def final_overlap(case, outcome) -> float:
    return float(case.result.overlap[-1])


def sgns_class(case, outcome) -> str:
    if case.result.diverged:
        return "diverged"
    best, last = float(np.max(case.result.overlap)), float(case.result.overlap[-1])
    if best < 0.9:
        return "not reached"
    return "reached, kept" if last >= 0.9 else "reached, drifted"


# --- predicted boundary curves (theory/boundaries.py), in each map's axis units -----------------------------

def separation_line(threshold: float):
    """Boundary points of gap ln(1/sigma^2) = threshold over the sigma axis."""
    def points(context):
        sigma = np.geomspace(*context["x"], 200)
        sigma = sigma[sigma < 1.0]
        return sigma, boundaries.separation_gap(sigma, threshold)
    return points


def gd_line(which: str):
    """eta lam_1 = 2 ("top"), eta (lam_1 - lam_min) / 2 = 2 ("negative"), or eta lam_1 = 4 ("escape")."""
    def points(context):
        ratio = np.linspace(*context["y"], 200)
        if which == "negative":
            return 4.0 / (1.0 - ratio), ratio
        return np.full_like(ratio, 2.0 if which == "top" else boundaries.gd_escape_eta_lambda1()), ratio
    return points


def sgd_floor_line(context):
    """The batch at which lr V^3 / (B (lam_m - lam_(m+1))) = the claim's deficit 0.05, over the V axis."""
    sizes = np.unique(np.geomspace(*context["y"], 7).astype(int))
    batches = []
    for size in sizes:
        _, prediction = _sgd_problem(int(size))
        lam = prediction.learned_eigenvalues
        gap = lam[-1] - max(float(prediction.eigenvalues[prediction.learned_modes]), 0.0)
        batches.append(float(boundaries.sgd_floor_batch(sgd_learning_rate(prediction), size, gap, SGD["deficit"])))
    return np.array(batches), sizes


def qwem_last_step_line(context):
    """SGD steps at which QWEM's flow reaches its last step from a typical N(0, sigma^2) init (dt = 2 lr per step)."""
    _, prediction = planted_problem(SGNS["size"], SGNS["zipf"], SGNS["strengths"], SGNS["dim"], SGNS["planted_seed"])
    sigma = np.geomspace(*context["x"], 200)
    lam = float(prediction.learned_eigenvalues[-1])
    with np.errstate(invalid="ignore"):
        t = boundaries.typical_step_time(lam, sigma, SGNS["size"], SGNS["dim"])
    keep = np.isfinite(t) & (t > 0) & (sigma ** 2 * (SGNS["size"] - SGNS["dim"] + 1) < lam / 2)
    return sigma[keep], t[keep] / (2.0 * SGNS["lr"])
