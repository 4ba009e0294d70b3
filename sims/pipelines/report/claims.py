"""The report's claims: registered claims (sims.claims) evaluated on the report's own runs."""

from __future__ import annotations

from sims.claims import FlowCase, evaluate, get

# (claim id, the simulator it measures): a subset of the registry, each run by tox under the same id.
REPORT_CLAIMS = (("FIN-RAND", "ode"), ("ST-QR", "ode"), ("ORDER", "ode"), ("PL-ODE", "ode"), ("SILENT", "ode"),
                 ("GD-DELAY", "gd"), ("SGD-ORDER", "sgd"), ("SGD-SUBSPACE", "sgd"))
# Simulators each claim's measurement reads (GD's delay is measured against the ODE).
NEEDS = {"GD-DELAY": ("gd", "ode")}


def flow_case(report) -> FlowCase:
    """The registry's case for the report: its W(0) and its ODE, GD and SGD runs (missing ones None)."""
    results = report.results
    case = FlowCase(report.prediction, report.initial, label=report.scenario.source,
                    gd=results.get("gd"), gd_lr=report.lr if "gd" in results else None, sgd=results.get("sgd"),
                    sgd_plan=report.parameters.get("sgd"), ode_result=results.get("ode"))
    case.__dict__["predicted_steps"] = report.predicted_steps  # the same prediction the figures show
    return case


def check_claims(report) -> list:
    """Every report claim evaluated on the report's runs: sims.claims.Outcome, in REPORT_CLAIMS order."""
    case = flow_case(report)
    outcomes = []
    for claim_id, simulator in REPORT_CLAIMS:
        missing = [s for s in NEEDS.get(claim_id, (simulator,)) if s not in report.results]
        outcomes.append(_not_run(claim_id, missing[0]) if missing else evaluate(claim_id, case))
    return outcomes


def _not_run(claim_id: str, simulator: str):
    from sims.claims import Outcome

    why = {"ode": "the ODE was not run (--methods)", "gd": "GD was not run (--methods)",
           "sgd": "SGD was not run (--methods, or a bare --matrix has no co-occurrences to sample)"}[simulator]
    return Outcome(get(claim_id), "not applicable", reason=why)


def simulator_of(claim_id: str) -> str:
    return dict(REPORT_CLAIMS)[claim_id]
