"""The report's outputs: report.md, summary.json and the figures, written into one (staging) folder."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sims.io import json_text
from sims.pipelines.report.claims import simulator_of
from sims.pipelines.report.figures import FIGURES
from sims.pipelines.report.scenario import SIMULATORS
from theory.dynamics import MIN_SEPARATION
from theory.tolerances import tolerance

STATUS_MARK = {"pass": "✅ pass", "fail": "❌ FAIL", "not applicable": "⏭ not applicable"}


def claim_rows(report) -> list[dict]:
    """The claims as summary.json rows: the registry's fields plus the simulator each measured."""
    return [{**outcome.as_dict(), "method": simulator_of(outcome.claim.id)} for outcome in report.claims]


def summary(report) -> dict:
    """The summary.json payload (NaN -> null is done by the writer)."""
    p = report.prediction
    out = {
        "claims": claim_rows(report),
        "all_claims_hold": not report.failed,
        "step_times": dict(report.step_times),
        "parameters": report.parameters,
        "prediction": {
            "eigenvalues": p.eigenvalues, "learned_eigenvalues": p.learned_eigenvalues,
            "plateau_errors": p.plateau_errors, "plateau_losses": p.plateau_losses(),
            "qr_initial_strengths": report.strengths, "limit_step_ratios": p.limit_step_ratios(),
        },
        "silent_alignment": report.alignment,
        "step_times_reason": {name: missing_reason(report, name) for name in report.step_times
                              if name != "predicted" and not np.all(np.isfinite(report.step_times[name]))},
        "simulations": {name: {"device": r.device, "converged": r.converged, "diverged": r.diverged,
                               "reason": r.extra.get("reason", ""),
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


def write_report(report, folder: Path, *, svg: bool = False, command: str = "w2v-theory report") -> Path:
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


def _problem_lines(report) -> list[str]:
    p, prm = report.prediction, report.parameters
    lines = [
        f"- source: {prm['source']}; V = {prm['size']}, d = {prm['dim']}, learned modes m = {prm['learned_modes']}",
        f"- top eigenvalues of M*: {_fmt_list(p.eigenvalues[: p.dim + 2])}; most negative: "
        f"{_fmt_list(np.sort(report.all_eigenvalues)[:3])}",
        f"- init W_ij(0) ~ N(0, sigma^2), sigma = {prm['init_scale']:g}, seed {prm['seed']}; "
        f"tau_1 = ln(lam_1/sigma^2)/lam_1 = {report.tau1:.4g}",
        f"- separation lam_k (t_k - t_(k-1)) between steps: {_fmt_list(prm['separation'][1:])} "
        f"(claims on plateaus, alignment and GD's delay need >= {MIN_SEPARATION:g})",
        f"- GD: lr eta = {prm['gd_lr']:.4g} (eta lam_1 = {prm['gd_lr_times_lambda1']:.3g}), {prm['gd_steps']} steps "
        f"to flow time {prm['gd_t_end']:.4g}; ODE to flow time {report.t_end:.4g}",
    ]
    if "sgd" in prm:
        s = prm["sgd"]
        lines.append(f"- SGD: QWEM, Setting 3.1 weights, batch {s['batch']} positive + {s['batch']} negative pairs, "
                     f"lr {s['lr']:.4g} (flow step {s['flow_step']:.3g}) for {s['steps']} steps, then lr "
                     f"{s['anneal_lr']:.3g} for {s['anneal_steps']} steps (flow time {s['anneal_time']:.3g})")
    return lines + [f"- note: {n}" for n in report.notes]


def _claim_lines(report) -> list[str]:
    lines = ["| claim | simulator | statement | measured | tolerance | status |", "|---|---|---|---|---|---|"]
    for row in claim_rows(report):
        measured = "—" if row["measured"] is None or not np.isfinite(row["measured"]) else f"{row['measured']:.3g}"
        # A bare | would end the table cell (norms and absolute values are full of them).
        detail = f" — {row['detail']}" if row["detail"] else ""
        text = f"{row['statement']}; measured: {row['what'] or '-'}{detail}".replace("|", "\\|")
        lines.append(f"| `{row['id']}` | {row['method']} | {text} | {measured} | {row['tolerance']:.3g} "
                     f"(`{row['tolerance_name']}`) | {STATUS_MARK[row['status']]} |")
    lines += ["", "Tolerances and why (theory/tolerances.py):", ""]
    for name in sorted({row["tolerance_name"] for row in claim_rows(report)}):
        lines.append(f"- `{name}` = {tolerance(name).value:g}: {tolerance(name).reason}")
    return lines


def unstable(report, method: str) -> bool:
    """Whether `method` (gd or sgd, which takes GD's flow step) ran above GD's stability limit."""
    return method in ("gd", "sgd") and bool(report.parameters.get("gd_unstable"))


def missing_cell(report, method: str) -> str:
    """What a step-time cell shows for a mode `method` never reached: diverged, unstable (eta lam_1 = ...), never."""
    result = report.results.get(method)
    if result is not None and result.diverged:
        return "diverged"
    if unstable(report, method):
        return f"unstable (ηλ₁ = {report.parameters['gd_lr_times_lambda1']:.3g})"
    return "never"


def missing_reason(report, method: str) -> str:
    """summary.json's reason for the null step times of `method`."""
    result = report.results.get(method)
    reason = "" if result is None else result.extra.get("reason", "")
    if result is not None and result.diverged:
        return f"diverged: {reason}" if reason else "diverged"
    if unstable(report, method):
        return (f"unstable learning rate: eta lam_1 = {report.parameters['gd_lr_times_lambda1']:.3g}, eta above "
                f"GD's stability limit {report.parameters['gd_stability_limit']:.3g}")
    return "the mode did not reach half height within the run"


def step_cell(report, method: str, value) -> str:
    return missing_cell(report, method) if value is None or not np.isfinite(value) else f"{value:.4g}"


def column_title(report, method: str) -> str:
    return f"{method} (unstable)" if unstable(report, method) else method


def _step_time_lines(report) -> list[str]:
    p, steps = report.prediction, report.step_times
    shown = [m for m in SIMULATORS if m in steps]
    lines = ["| k | lam_k | predicted (QR) | " + " | ".join(column_title(report, m) for m in shown) + " |",
             "|---|---|---|" + "---|" * len(shown)]
    for k in range(p.learned_modes):
        row = [f"{k + 1}", f"{p.learned_eigenvalues[k]:.4g}", _fmt(steps['predicted'][k])]
        lines.append("| " + " | ".join(row + [step_cell(report, m, steps[m][k]) for m in shown]) + " |")
    return lines


def markdown(report, command: str) -> str:
    counts = {status: sum(c.status == status for c in report.claims) for status in STATUS_MARK}
    lines = [
        "# w2v-theory report", "",
        "Closed-form learning dynamics of word2vec (Karkada, Simon, Bahri, DeWeese, NeurIPS 2025) checked "
        "against simulation on one problem: theory (closed form + QR step-time predictor), gradient-flow ODE, "
        "full-batch GD and pair-sampled SGD. Conventions: THEORY.md (flow dW/dt = -1/2 (WW^T - M*) W, "
        "eigenvalues by value, half-height step times). Each claim is the registered claim of the same id that "
        "`tox` checks across generated problems (`w2v-theory claims -k ID`).", "",
        f"**{counts['pass']} claims held, {counts['fail']} failed, {counts['not applicable']} not applicable.**", "",
        *[f"**Warning — {note}**\n" for note in report.notes if note.startswith("unstable learning rate")],
        "## Problem", "", *_problem_lines(report), "",
        "Reproduce:", "", "```bash", command, "```", "",
        "## Claims", "", *_claim_lines(report), "",
        "## Step times (flow time units)", "", *_step_time_lines(report), "",
        "## Figures", "",
    ]
    for name, spec in FIGURES.items():
        lines += [f"### {spec.title}", "", f"![{spec.title}]({name}.png)", "", spec.caption, ""]
    if report.realtext is not None:
        lines += [report.realtext.get("markdown", ""), ""]
    lines += ["## Timings", "", ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in report.timings.items()), ""]
    return "\n".join(lines)


def _fmt(value) -> str:
    return "never" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _fmt_list(values) -> str:
    return ", ".join(f"{v:.3g}" for v in values)
