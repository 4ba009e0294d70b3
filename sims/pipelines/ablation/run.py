"""The paper's ablation (its Figure 7; THEORY §4, §7): train {QWEM, SGNS} x {Setting 3.1, word2vec's Ψ} from one W(0).

Four runs of full-batch gradient descent on the exact population loss (sims.simulators.gd.run_gd, no
sampling noise), all from the same small W(0) on the same statistics:

  qwem-s31   the quartic loss under Setting 3.1 (Ψ⁺ = Ψ⁻ = 1/(P_ij + P_iP_j), G = 1): the closed form's own setting
  sgns-s31   the logistic loss (expected SGNS gradient), same Ψ
  qwem-w2v   the quartic loss under word2vec's Ψ (theory.target.word2vec_psi: subsampling, P^(3/4)
             negatives, k = 1), whose G = Ψ⁺P + Ψ⁻P_iP_j is not constant (Proposition 2, no closed form)
  sgns-w2v   the logistic loss under word2vec's Ψ

Every run is measured against the Setting-3.1 closed form (M* with Ψ⁺ = Ψ⁻, k = 1): its singular values
over flow time, its effective rank #{k : s_k^2 > lam_k / 2}, and the subspace overlap ||V_k^T U_k||_F^2 / k of
its top-k left singular vectors with M*'s top-k eigenvectors at the first record where its effective rank
reaches k. Flow time is Setting 3.1's unit (dW/dt = -1/2 (G^ o (WW^T - M*)) W, G^ = G / mean(G)), so the
four runs share one clock and the closed-form step times (QR predictor, THEORY §3) apply to the first.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sims.simulators.trajectory import SimulationResult
from theory.dynamics import default_init_scale, gd_euler_delay_fraction
from theory.predictions import ClosedForm, closed_form, random_init
from theory.target import Cooccurrence, target_matrix, weight_matrix, word2vec_psi
from theory.validation import InputError, check_dim, check_learnable

# The four runs, in display order: (name, loss, reweighting).
RUNS = (("qwem-s31", "qwem", "setting31"), ("sgns-s31", "sgns", "setting31"),
        ("qwem-w2v", "qwem", "word2vec"), ("sgns-w2v", "sgns", "word2vec"))
LABELS = {"qwem-s31": "QWEM (quartic), Setting 3.1 Ψ", "sgns-s31": "SGNS (logistic), Setting 3.1 Ψ",
          "qwem-w2v": "QWEM (quartic), word2vec's Ψ", "sgns-w2v": "SGNS (logistic), word2vec's Ψ"}
REWEIGHTINGS = {"setting31": "Setting 3.1: Ψ⁺ = Ψ⁻ = 1/(P_ij + P_iP_j)",
                "word2vec": "word2vec: subsampling t = 1e-5, negatives from P^(3/4), k = 1 (THEORY §7)"}

# GD's Euler step, as a fraction of 1/c with c the stiffest linear rate of the run's own problem
# (ClosedForm.stiffest_rate of M*, or of G^ o M* for word2vec's Ψ): stable below 2 (THEORY §4), as the
# real-text study's GD (sims.pipelines.realtext.run.GD_STEP_FRACTION). The O(lr) delay of step k,
# lr lam_k / 4 <= 12.5 % of its time, is added to the closed-form step times drawn (gd_euler_delay_fraction).
STEP_FRACTION = 0.5
QUICK_STEP_FRACTION = 1.0  # --quick: still inside the stability limit 2, the Euler delay doubled
# Train to HORIZON_FACTOR x the last predicted step time (the later of Setting 3.1's QR prediction and the
# linearised prediction for word2vec's Ψ): past the last step by as long again, so that QWEM has settled and
# SGNS's late drift (its minimiser, PMI, is unbounded: THEORY §4) has had time to show.
HORIZON_FACTOR = 2.0
QUICK_HORIZON_FACTOR = 1.5
# Records per run, spread evenly in time (each costs two SVDs of W and, for the weighted runs, one M* W): on
# real text the first step rises in ln(81)/lam_1 ~ 0.2 tau_1 of a ~35 tau_1 run, which this resolves by ~2-3 records.
RECORDS = 400
QUICK_RECORDS = 100
# The late drift is the relative growth of ||W||_F^2 over the last DRIFT_WINDOW of the run.
DRIFT_WINDOW = 0.25
# Defaults of the `ablation` command: the whole four-way ablation in a few minutes on 2 CPU cores (V^2 d per step).
DEFAULT_VOCAB = 1500
DEFAULT_DIM = 40
DEFAULT_WINDOW = 16
# Each run holds ~8 V x V float64 arrays (M*, word2vec's Ψ, G, the targets and GD's buffers): refuse above
# this V (~4 GB at the limit) rather than fail mid-run; the CPU time grows as V^2 d per step anyway.
MAX_VOCAB = 8000
TOP_WORDS = 6


@dataclass
class AblationRun:
    """One of the four runs: its simulator result and the per-k overlaps recorded beside it."""

    name: str
    loss: str
    reweighting: str
    lr: float
    steps: int
    result: SimulationResult = field(repr=False)
    overlaps: np.ndarray = field(repr=False)  # (T, m): ||V_k^T U_k||^2 / k at each record, k = 1..m
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def step_records(self) -> np.ndarray:
        """Per k = 1..m: the first record index at which the effective rank is >= k (-1: never)."""
        rank = self.result.effective_rank
        out = np.full(self.overlaps.shape[1], -1, dtype=np.int64)
        for k in range(1, len(out) + 1):
            hit = np.flatnonzero(rank >= k)
            if hit.size:
                out[k - 1] = hit[0]
        return out

    @property
    def step_times(self) -> np.ndarray:
        """Flow time at which the effective rank first reaches k (NaN where it never does)."""
        idx = self.step_records
        return np.where(idx >= 0, self.result.times[np.maximum(idx, 0)], np.nan)

    @property
    def step_overlaps(self) -> np.ndarray:
        """||V_k^T U_k||^2 / k at the first record of effective rank k (NaN for steps never completed)."""
        idx = self.step_records
        k = np.arange(len(idx))
        return np.where(idx >= 0, self.overlaps[np.maximum(idx, 0), k], np.nan)

    @property
    def final_overlaps(self) -> np.ndarray:
        return self.overlaps[-1]

    @property
    def drift(self) -> float:
        """(||W(T)||^2 - ||W((1 - DRIFT_WINDOW) T)||^2) / ||W(T)||^2: ~0 once settled, > 0 while still growing."""
        times = self.result.times
        norms = np.sum(self.result.singular_values ** 2, axis=1)
        i = int(np.searchsorted(times, (1.0 - DRIFT_WINDOW) * times[-1]))
        return float((norms[-1] - norms[min(i, len(norms) - 1)]) / max(norms[-1], 1e-300))


@dataclass
class Ablation:
    """The four runs from one W(0), the Setting-3.1 closed form they are measured against, and the schedule."""

    reference: ClosedForm = field(repr=False)
    initial: np.ndarray = field(repr=False)
    sigma: float
    predicted_step_times: np.ndarray   # the flow's half-height times (QR predictor, THEORY §3)
    gd_step_times: np.ndarray          # the same for GD at the Setting-3.1 runs' lr (+ Euler delay, THEORY §4)
    linearised_step_times: np.ndarray
    horizon: float
    stiffness: dict
    runs: dict = field(repr=False)
    seconds: dict = field(default_factory=dict)


def _log(progress: bool, message: str) -> None:
    if progress:
        print(f"[ablation] {message}", file=sys.stderr, flush=True)


def as_statistics(source) -> tuple[Cooccurrence, list | None]:
    """(P_ij and P_i, the vocabulary if known) from a Cooccurrence, CorpusStatistics or CorpusCounts."""
    if isinstance(source, Cooccurrence):
        return source, None
    if hasattr(source, "cooccurrence"):  # sims.corpus.CorpusStatistics
        return source.cooccurrence(), list(source.vocab)
    if hasattr(source, "statistics"):    # sims.data.counting.CorpusCounts
        counted = source.statistics()
        return counted.cooccurrence(), list(counted.vocab)
    raise InputError(f"expected co-occurrence statistics or counts, got {type(source).__name__}")


def _overlap_observer(directions: np.ndarray, store: list):
    """run_gd observer: at each record, ||V_k^T U_k||^2 / k for every k (cumulative sums of squared cosines).

    In torch (float64), inside run_gd's single-thread policy: NumPy's threaded LAPACK is ~50x slower on a busy
    2-core machine for these V x d SVDs.
    """
    import torch

    m = directions.shape[1]
    k = np.arange(1, m + 1)
    reference = torch.as_tensor(directions, dtype=torch.float64)

    def observe(time_, w):
        left = torch.linalg.svd(torch.as_tensor(w, dtype=torch.float64), full_matrices=False)[0][:, :m]
        squared = ((reference.T @ left) ** 2).numpy()
        # sum over i, j <= k of (v_i . u_j)^2: the k x k leading blocks' totals, by 2-D cumulative sums.
        cumulative = np.cumsum(np.cumsum(squared, axis=0), axis=1)
        store.append(np.diagonal(cumulative)[:m] / k)

    return observe


def train_ablation(source, dim: int, seed: int = 0, *, quick: bool = False, device: str = "cpu",
                   dtype: str = "float32", progress: bool = False, runs=RUNS) -> Ablation:
    """The four runs (or those named in `runs`) from one small W(0); no files written.

    sigma = default_init_scale("realtext", lam_m, V) (sigma^2 V = 1e-6 lam_m: every mode starts ~14 e-folds
    below its height); W(0) = random_init(V, d, sigma, seed). Each run's lr is STEP_FRACTION / c for its own
    stiffest linear rate c; all run to the same flow time.
    """
    stats, _ = as_statistics(source)
    size = stats.joint.shape[0]
    dim = check_dim(dim, size)
    started = time.perf_counter()
    reference = closed_form(target_matrix(stats), dim)
    check_learnable(reference, "M* (Setting 3.1)")
    m = reference.learned_modes
    sigma = default_init_scale("realtext", reference.learned_eigenvalues[-1], size)
    initial = random_init(size, dim, sigma, seed)
    predicted = reference.random_step_times(initial)

    psi_pos, psi_neg = word2vec_psi(stats)
    weight = weight_matrix(stats, psi_pos, psi_neg)
    target = target_matrix(stats, psi_pos, psi_neg)
    del psi_pos, psi_neg
    # The weighted flow's linearisation at small W is dW/dt = 1/2 (G^ o M*) W: its spectrum gives the
    # word2vec-Psi runs' early growth rates, their stiffest rate, and an estimate of when their steps end.
    linearised = closed_form((weight / weight.mean()) * target, dim)
    lin_steps = (linearised.random_step_times(initial) if linearised.learned_modes
                 else np.array([np.nan]))
    seconds = {"spectra_s": round(time.perf_counter() - started, 3)}
    horizon = (QUICK_HORIZON_FACTOR if quick else HORIZON_FACTOR) * float(np.nanmax(np.r_[predicted, lin_steps]))
    stiffness = {"setting31": reference.stiffest_rate, "word2vec": linearised.stiffest_rate}
    fraction = QUICK_STEP_FRACTION if quick else STEP_FRACTION
    records = QUICK_RECORDS if quick else RECORDS
    gd_steps = predicted * (1.0 + gd_euler_delay_fraction(fraction / stiffness["setting31"],
                                                          reference.learned_eigenvalues))

    from sims.simulators.gd import run_gd

    done = {}
    for name, loss, reweighting in runs:
        lr = fraction / stiffness[reweighting]
        steps = max(1, int(math.ceil(horizon / lr)))
        store: list = []
        observe = _overlap_observer(reference.learned_directions, store)
        extra = {} if reweighting == "setting31" else {"weight": weight, "target": target}
        _log(progress, f"{name}: {steps} steps of lr {lr:.3g} ...")
        t0 = time.perf_counter()
        result = run_gd(reference, initial, lr, steps, loss=loss, dtype=dtype, device=device,
                        record_every=max(1, steps // records), observer=observe, **extra)
        if len(store) < len(result.times):  # stopped by divergence: its final record (the last finite W) is extra
            observe(float(result.times[-1]), result.embeddings)
        overlaps = np.asarray(store).reshape(-1, m)
        spent = time.perf_counter() - t0
        done[name] = AblationRun(name, loss, reweighting, lr, steps, result, overlaps, round(spent, 3))
        seconds[f"{name}_s"] = round(spent, 3)
        _log(progress, f"{name}: {spent:.1f} s")
    return Ablation(reference, initial, sigma, predicted, gd_steps, lin_steps, horizon, stiffness, done, seconds)


def _top_words(basis: np.ndarray, vocab: list | None, count: int = 3, name: str = "u") -> dict:
    if vocab is None:
        return {}
    out = {}
    for k in range(min(count, basis.shape[1])):
        column = basis[:, k] * np.sign(basis[np.argmax(np.abs(basis[:, k])), k])
        order = np.argsort(column)
        out[f"{name}{k + 1}"] = {"positive": [vocab[i] for i in order[::-1][:TOP_WORDS]],
                            "negative": [vocab[i] for i in order[:TOP_WORDS]]}
    return out


def _nan_none(values) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def summarise(ablation: Ablation, vocab: list | None = None, threshold: float | None = None) -> dict:
    """The JSON-able summary: parameters, the closed form's steps, and per run its steps, overlaps and drift."""
    from theory.tolerances import tolerance

    if threshold is None:
        threshold = 1.0 - tolerance("ablation_overlap").value
    ref = ablation.reference
    runs = {}
    for name, run in ablation.runs.items():
        step = run.step_overlaps
        completed = np.isfinite(step)
        left = np.linalg.svd(run.result.embeddings, full_matrices=False)[0]
        runs[name] = {
            "label": run.label, "loss": run.loss, "reweighting": run.reweighting, "lr": run.lr, "steps": run.steps,
            "flow_time": float(run.result.times[-1]), "seconds": run.seconds, "diverged": run.result.diverged,
            "completed_steps": int(np.count_nonzero(completed)), "step_times": _nan_none(run.step_times),
            "step_overlaps": _nan_none(step), "final_overlaps": _nan_none(run.final_overlaps),
            "min_step_overlap": float(np.min(step[completed])) if completed.any() else None,
            "mean_step_overlap": float(np.mean(step[completed])) if completed.any() else None,
            "steps_below_threshold": int(np.count_nonzero(step[completed] < threshold)),
            "final_overlap": float(run.final_overlaps[-1]), "late_drift": run.drift,
            "final_sq_over_lambda": _nan_none(run.result.singular_values[-1, : ref.learned_modes] ** 2
                                              / ref.learned_eigenvalues),
            "top_words": _top_words(left, vocab),
        }
    summary = {
        "vocab": ref.size, "dim": ref.dim, "learned_modes": ref.learned_modes, "init_scale": ablation.sigma,
        "eigenvalues": ref.eigenvalues[: ref.dim + 1], "predicted_step_times": ablation.predicted_step_times,
        "predicted_gd_step_times": ablation.gd_step_times,
        "linearised_word2vec_step_times": ablation.linearised_step_times, "horizon": ablation.horizon,
        "stiffest_rates": ablation.stiffness, "overlap_threshold": threshold, "runs": runs,
        "reweightings": REWEIGHTINGS, "timings": ablation.seconds,
        "top_words_mstar": _top_words(ref.learned_directions, vocab, name="v"),
    }
    summary["conjecture"] = verdict(summary)
    return summary


def verdict(summary: dict) -> dict:
    """Conjecture C-ABLATION-SETTING31 on one ablation's summary: Setting 3.1 clean, word2vec's Ψ mixed.

    Holds when (a) both Setting-3.1 runs complete at least one step and have overlap >= the threshold at every
    completed step, and (b) at every step k completed by all four runs each word2vec-Ψ run's overlap is below
    both Setting-3.1 runs' (the reweighting, not the loss, separates them).
    """
    runs = summary["runs"]
    s31 = [n for n in runs if runs[n]["reweighting"] == "setting31"]
    w2v = [n for n in runs if runs[n]["reweighting"] == "word2vec"]
    threshold = summary["overlap_threshold"]
    below = {n: runs[n]["steps_below_threshold"] for n in s31}
    completed = {n: runs[n]["completed_steps"] for n in runs}
    floor = min((runs[n]["min_step_overlap"] for n in s31 if runs[n]["min_step_overlap"] is not None), default=None)
    compared, not_lower = [], []
    for k in range(summary["learned_modes"]):
        values = {n: runs[n]["step_overlaps"][k] for n in s31 + w2v}
        if any(v is None for v in values.values()) or not s31 or not w2v:
            continue
        compared.append(k + 1)
        if max(values[n] for n in w2v) >= min(values[n] for n in s31):
            not_lower.append(k + 1)
    clean = bool(s31) and all(below[n] == 0 and completed[n] > 0 for n in s31)
    return {"holds": bool(clean and w2v and compared and not not_lower), "threshold": threshold,
            "setting31_min_step_overlap": floor, "setting31_steps_below_threshold": below,
            "completed_steps": completed, "compared_steps": len(compared), "steps_not_lower": not_lower,
            "word2vec_mean_step_overlap": {n: runs[n]["mean_step_overlap"] for n in w2v},
            "setting31_mean_step_overlap": {n: runs[n]["mean_step_overlap"] for n in s31}}


def run_ablation(source, vocab=None, dim: int = DEFAULT_DIM, seed: int = 0, out_dir=None, *, quick: bool = False,
                 device: str = "cpu", progress: bool = False, corpus: str = "", svg: bool = False) -> dict:
    """Train the four runs, then write the figures, summary.json, trajectories.npz and report.md into `out_dir`.

    `source`: co-occurrence statistics (theory.target.Cooccurrence) or counts (sims.corpus.CorpusStatistics,
    sims.data.counting.CorpusCounts); `vocab`: the V words (default: the counts' own, if any), used to name
    the words along each run's first directions. Returns the summary (with its markdown under "markdown").
    """
    from sims.io import json_text
    from sims.pipelines.ablation.figures import write_figures
    from sims.pipelines.ablation.markdown import markdown_section

    started = time.perf_counter()
    stats, known = as_statistics(source)
    vocab = known if vocab is None else list(vocab)
    if vocab is not None and len(vocab) != stats.joint.shape[0]:
        raise InputError(f"vocab has {len(vocab)} words, the statistics V = {stats.joint.shape[0]}")
    ablation = train_ablation(stats, dim, seed, quick=quick, device=device, progress=progress)
    summary = summarise(ablation, vocab)
    summary.update(seed=seed, quick=quick, corpus=corpus, device=device, window=getattr(source, "window", None))
    if getattr(source, "seconds", None):  # counts counted just now (sims.data.counting.CorpusCounts.seconds)
        summary["timings"] = {"counts_s": round(float(source.seconds), 3), **summary["timings"]}
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        t0 = time.perf_counter()
        summary["figures"] = write_figures(out, ablation, summary, svg=svg)
        summary["timings"]["figures_s"] = round(time.perf_counter() - t0, 3)
        np.savez(out / "trajectories.npz", **{f"{name}_{key}": value for name, run in ablation.runs.items()
                                              for key, value in (("times", run.result.times),
                                                                 ("singular_values", run.result.singular_values),
                                                                 ("effective_rank", run.result.effective_rank),
                                                                 ("overlaps", run.overlaps))})
    summary["timings"]["total_s"] = round(time.perf_counter() - started, 3)
    summary["markdown"] = markdown_section(summary)
    if out is not None:
        (out / "report.md").write_text("# w2v-theory ablation\n\n" + summary["markdown"], encoding="utf-8")
        (out / "summary.json").write_text(json_text({k: v for k, v in summary.items() if k != "markdown"}),
                                          encoding="utf-8")
    return summary
