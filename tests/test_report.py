"""`w2v-theory report`: outputs and their schema, claims, bad input (exit 2, nothing written), atomicity."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sims.pipelines.report.run
from sims.claims import REGISTRY
from sims.cli import main
from sims.data.synthetic import matrix_with_spectrum, stepped_spectrum
from sims.pipelines.report.claims import check_claims, report_claims
from sims.pipelines.report.figures import FIGURES
from sims.pipelines.report.scenario import SIMULATORS, parse_simulators
from theory.dynamics import time_to_fraction
from theory.validation import InputError

CLAIM_IDS = {claim.id for claim in report_claims()}
SGD_CLAIMS = {"SGD-ORDER", "SGD-SUBSPACE"}


def test_report_claims_are_registered_claims():
    """Every report claim is a registry claim (run by tox under the same id), so ids agree everywhere."""
    assert CLAIM_IDS <= set(REGISTRY)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One `report --quick --svg` run through the CLI; also keeps the Report object it wrote."""
    out = tmp_path_factory.mktemp("quick") / "report"
    captured = {}
    original = sims.pipelines.report.run.run_report

    def capture(*args, **kwargs):
        captured["report"] = original(*args, **kwargs)
        return captured["report"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sims.pipelines.report.run, "run_report", capture)
        code = main(["report", "--quick", "--svg", "--out", str(out), "--seed", "3"])
    return {"code": code, "out": out, "report": captured["report"]}


def test_quick_report_holds_every_claim_and_writes_every_file(quick_run):
    out = quick_run["out"]
    assert quick_run["code"] == 0, (out / "report.md").read_text()
    for name in FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0
        assert (out / f"{name}.svg").stat().st_size > 0
    assert (out / "report.md").is_file() and (out / "summary.json").is_file()
    assert not list(out.parent.glob(".report.staging-*")), "staging folder left behind"


def test_summary_schema(quick_run):
    summary = json.loads((quick_run["out"] / "summary.json").read_text())
    assert {"claims", "step_times", "parameters"} <= set(summary)
    assert {c["id"] for c in summary["claims"]} == CLAIM_IDS
    for claim in summary["claims"]:
        assert set(claim) >= {"id", "statement", "status", "measured", "tolerance"}
        assert claim["status"] in {"pass", "fail", "not applicable"}
        assert isinstance(claim["statement"], str) and isinstance(claim["tolerance"], float)
        assert claim["measured"] is None or isinstance(claim["measured"], (int, float))
    assert all(c["status"] == "pass" for c in summary["claims"])
    m = summary["parameters"]["learned_modes"]
    assert set(summary["step_times"]) == {"predicted", *SIMULATORS}
    for times in summary["step_times"].values():
        assert len(times) == m and all(isinstance(t, float) for t in times)
    assert summary["parameters"]["seed"] == 3 and summary["parameters"]["quick"] is True


def test_markdown_mentions_every_figure_and_claim(quick_run):
    text = (quick_run["out"] / "report.md").read_text()
    for name in FIGURES:
        assert f"]({name}.png)" in text
    for claim_id in CLAIM_IDS:
        assert f"`{claim_id}`" in text
    assert "w2v-theory report" in text and "--seed 3" in text


def test_step_times_in_summary_are_the_simulations(quick_run):
    """The table reports what the simulators measured, and the ODE sits on the QR prediction."""
    report = quick_run["report"]
    summary = json.loads((quick_run["out"] / "summary.json").read_text())
    np.testing.assert_allclose(summary["step_times"]["ode"], report.results["ode"].measured_step_times())
    np.testing.assert_allclose(summary["step_times"]["predicted"], report.prediction.random_step_times(report.initial))


def test_alignment_times_put_modes_at_one_percent(quick_run):
    """theory.dynamics.time_to_fraction inverts the logistic: s_k^2 there is 1 % of lam_k."""
    report = quick_run["report"]
    p = report.prediction
    times = time_to_fraction(p.learned_eigenvalues, report.strengths, 0.01)
    heights = np.diag(p.trajectory(times, report.strengths)) / p.learned_eigenvalues
    np.testing.assert_allclose(heights, 0.01, rtol=1e-9)


def test_figures_render_from_a_report(quick_run, tmp_path):
    from sims.pipelines.report import figures

    written = figures.write_all(quick_run["report"], tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{name}.png" for name in FIGURES)


def test_a_failed_claim_exits_1_and_still_writes(quick_run, tmp_path, monkeypatch, capsys):
    report = quick_run["report"]
    from sims.claims import Measurement, Outcome, get

    failing = [Outcome(get("ST-QR"), "fail", Measurement(0.5, what="a planted failure"), 0.01)]
    monkeypatch.setattr(sims.pipelines.report.run, "run_report", lambda *a, **k: _with_claims(report, failing))
    monkeypatch.setattr("sims.pipelines.report.figures.write_all", lambda *a, **k: [])
    assert main(["report", "--quick", "--out", str(tmp_path / "r")]) == 1
    assert "FAIL" in (tmp_path / "r" / "report.md").read_text()
    assert "1 failed" in capsys.readouterr().out


def _with_claims(report, claims):
    import copy

    clone = copy.copy(report)
    clone.claims = claims
    return clone


@pytest.mark.parametrize("arguments, message", [
    (["--methods", "ode,adam"], "--methods"),
    (["--methods", ""], "--methods"),
    (["--dim", "500"], "d=500"),
    (["--dim", "0"], "d=0"),
    (["--matrix", "missing.npy"], "does not exist"),
    (["--corpus", "missing.txt"], "--corpus"),
    (["--vocab", "50"], "--corpus"),
    (["--device", "tpu"], "invalid choice"),
    (["--lr", "-1"], "--lr"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    code = run_cli(["report", "--quick", "--out", "out", *arguments])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def run_cli(argv) -> int:
    """main() returns the exit code; argparse usage errors exit through SystemExit instead."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    target = tmp_path / "report.txt"
    target.write_text("keep me")
    assert main(["report", "--quick", "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_failure_mid_write_leaves_out_unchanged(quick_run, tmp_path, monkeypatch):
    """A crash after some files were written leaves the earlier contents of --out exactly as they were."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("earlier report")
    (out / "summary.json").write_text("{}")  # an earlier report (replaced as a whole on success)
    monkeypatch.setattr(sims.pipelines.report.run, "run_report", lambda *a, **k: quick_run["report"])

    def crash(report, folder, svg=False):
        (folder / "staircase.png").write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr("sims.pipelines.report.figures.write_all", crash)
    with pytest.raises(RuntimeError):
        main(["report", "--quick", "--out", str(out)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == ["report.md", "summary.json"]
    assert (out / "report.md").read_text() == "earlier report"


def test_failure_mid_run_creates_no_out(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("simulator crashed")

    monkeypatch.setattr(sims.pipelines.report.run, "run_report", crash)
    with pytest.raises(RuntimeError):
        main(["report", "--quick", "--out", str(tmp_path / "out")])
    assert list(tmp_path.iterdir()) == []


def test_matrix_source_drops_sgd_with_a_note(tmp_path, capsys):
    eigenvalues = stepped_spectrum(30, top=[4.0, 2.0, 1.0], negatives=[-3.0], bulk=0.05, seed=1)
    np.save(tmp_path / "m.npy", matrix_with_spectrum(eigenvalues, seed=2))
    code = main(["report", "--matrix", str(tmp_path / "m.npy"), "--dim", "3", "--init-scale", "1e-8",
                 "--out", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 0, captured.out
    assert "SGD dropped" in captured.err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    status = {c["id"]: c["status"] for c in summary["claims"]}
    assert {status[c] for c in SGD_CLAIMS} == {"not applicable"}
    assert {k for k, v in status.items() if v == "pass"} == CLAIM_IDS - SGD_CLAIMS
    assert "sgd" not in summary["step_times"]


def test_parse_simulators():
    assert parse_simulators("sgd, ode") == ("ode", "sgd")
    with pytest.raises(InputError):
        parse_simulators("ode,bfgs")


def test_claims_fail_when_prediction_or_simulation_is_wrong(quick_run):
    """The checks are not vacuous: a 5 % wrong step-time prediction, a wrong final Gram, SGD outside the
    eigenspace and a swapped learning order each make their claim fail."""
    import copy
    import dataclasses

    report = quick_run["report"]

    def status(changed):
        return {c.claim.id: c.status for c in check_claims(changed)}

    shifted = copy.copy(report)
    shifted.predicted_steps = report.predicted_steps * 1.05
    assert status(shifted)["ST-QR"] == "fail"

    ode = report.results["ode"]
    wrong_final = copy.copy(report)
    wrong_final.results = {**report.results, "ode": dataclasses.replace(ode, embeddings=0.9 * ode.embeddings)}
    assert status(wrong_final)["FIN-RAND"] == "fail"

    sgd = report.results["sgd"]
    overlap = sgd.overlap.copy()
    overlap[-1] = 0.9
    swapped = sgd.singular_values.copy()
    lam = report.prediction.learned_eigenvalues
    # Modes 1 and 2 exchange their rises: s_1^2/lam_1 now follows s_2^2/lam_2 and vice versa.
    swapped[:, [0, 1]] = swapped[:, [1, 0]] * np.sqrt(lam[[0, 1]] / lam[[1, 0]])
    noisy = copy.copy(report)
    noisy.results = {**report.results, "sgd": dataclasses.replace(sgd, overlap=overlap, singular_values=swapped)}
    assert np.all(np.isfinite(noisy.results["sgd"].measured_step_times()))
    result = status(noisy)
    assert result["SGD-SUBSPACE"] == "fail" and result["SGD-ORDER"] == "fail"
    assert status(report) == {c.claim.id: "pass" for c in report.claims}
