"""The report's claims: registered claims (sims.claims) evaluated on the report's own runs."""

from __future__ import annotations

from sims.claims import FlowCase, all_claims, evaluate, get

def report_claims() -> list:
    """The registered claims measured on a FlowCase (`case="flow"`), in registry order: every one of them is
    run by tox under the same id, and a new flow claim appears in the report without further wiring."""
    return [claim for claim in all_claims("claim") if claim.case == "flow"]


def flow_case(report) -> FlowCase:
    """The registry's case for the report: its W(0) and its ODE, GD and SGD runs (missing ones None)."""
    results = report.results
    case = FlowCase(report.prediction, report.initial, label=report.scenario.source,
                    gd=results.get("gd"), gd_lr=report.lr if "gd" in results else None, sgd=results.get("sgd"),
                    sgd_plan=report.parameters.get("sgd"), ode_result=results.get("ode"))
    case.__dict__["predicted_steps"] = report.predicted_steps  # the same prediction the figures show
    return case


def check_claims(report) -> list:
    """Every report claim evaluated on the report's runs: sims.claims.Outcome, in report_claims() order."""
    case = flow_case(report)
    outcomes = []
    for claim in report_claims():
        missing = [name for name in claim.reads if name not in report.results]
        outcomes.append(_not_run(claim.id, missing[0]) if missing else evaluate(claim, case))
    return outcomes


def _not_run(claim_id: str, simulator: str):
    from sims.claims import Outcome

    why = {"ode": "the ODE was not run (--methods)", "gd": "GD was not run (--methods)",
           "sgd": "SGD was not run (--methods, or a bare --matrix has no co-occurrences to sample)"}[simulator]
    return Outcome(get(claim_id), "not applicable", reason=why)


def simulator_of(claim_id: str) -> str:
    """The simulator a report claim is measured on (the first it reads)."""
    return get(claim_id).reads[0]
