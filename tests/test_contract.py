"""The CLI contract, one regression test per reproduction of issue 11.

Bad input: exit 2, exactly one line on stderr naming the problem, no traceback, nothing written. Good
input: exit 0 (or 1 for a failed claim) and no NaN or inf anywhere in the output. A failed or
interrupted run leaves no half-written folder and no parent folder it created.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sims.pipelines.report.run
from sims.cli import main
from tests.cli_support import assert_finite_file, assert_finite_text

ROOT = Path(__file__).resolve().parent.parent
STEPPED = ROOT / "examples" / "stepped_target.npy"


def run(capsys, *argv):
    """main(argv) in-process: (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_refused(capsys, folder: Path, *argv, fragment: str = ""):
    """Exit 2, one stderr line containing `fragment`, no stdout, and `folder` unchanged."""
    before = listing(folder)
    code, out, err = run(capsys, *argv)
    assert code == 2, (code, out, err)
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert fragment.lower() in err.lower(), err
    assert listing(folder) == before, "bad input must write nothing"
    return err


def assert_finite_outputs(folder: Path):
    """Strict JSON, finite .npy/.npz arrays and no nan/inf token in any text file under `folder`."""
    for path in folder.rglob("*"):
        assert_finite_file(path)


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """The issue's input files, made with numpy, in a scratch folder that is also the cwd."""
    monkeypatch.chdir(tmp_path)
    stepped = np.load(STEPPED)
    np.save("negdef.npy", -np.eye(5))
    np.save("zeros.npy", np.zeros((5, 5)))
    np.save("ones_bool.npy", np.ones((5, 5), bool))
    np.save("huge.npy", stepped * 1e300)
    np.save("tiny.npy", stepped * 1e-300)
    np.save("w0_zero.npy", np.zeros((40, 4)))
    np.save("S.npy", stepped)
    counts = np.random.default_rng(0).random((8, 8))
    np.save("C.npy", counts + counts.T)
    return tmp_path


# 1. No positive eigenvalue among the top d -------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["--matrix", "negdef.npy"], ["--matrix", "zeros.npy", "--json"],
                                  ["--cooccurrence", "ones_bool.npy"], ["--matrix", "zeros.npy", "--out", "new/a/b"]])
def test_1_no_positive_eigenvalue_is_refused(capsys, inputs, argv):
    assert_refused(capsys, inputs, "predict", "--dim", "2", *argv, fragment="no positive eigenvalue")
    assert not (inputs / "new").exists()


# 2. An output folder that cannot be created: refused before any computation ------------------------------------

@pytest.mark.parametrize("argv", [["predict", "--matrix", "S.npy", "--dim", "2", "--out", "/proc/x"],
                                  ["simulate", "--matrix", "S.npy", "--dim", "2", "--method", "ode", "--out", "/sys/x"],
                                  ["report", "--quick", "--methods", "ode", "--out", "/proc/x"],
                                  ["ablation", "corpus.txt", "--quick", "--out", "/proc/x"]])
def test_2_unwritable_out_is_refused_before_computing(capsys, inputs, monkeypatch, argv):
    def no_work(*args, **kwargs):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr("theory.predictions.closed_form", no_work)
    monkeypatch.setattr(sims.pipelines.report.run, "run_report", no_work)
    assert_refused(capsys, inputs, *argv, fragment="not writable")


# 3. A failed run leaves no parent folders; corpus errors come before the synthetic part ----------------------

def test_3_failed_report_leaves_no_parent_folders(capsys, inputs, monkeypatch):
    (inputs / "small.txt").write_text("a b c\nd e\n")
    monkeypatch.setenv("W2V_THEORY_CACHE", str(inputs / "cache"))
    monkeypatch.setattr(sims.pipelines.report.run, "run_report",
                        lambda *a, **k: pytest.fail("the synthetic part ran before the corpus was checked"))
    before = listing(inputs)
    code, out, err = run(capsys, "report", "--quick", "--methods", "ode", "--corpus", "small.txt", "--vocab", "100",
                         "--out", "new/a/b")
    assert code == 2 and len(err.splitlines()) == 1 and "exceeds the 5 distinct words" in err
    assert not (inputs / "new").exists()
    assert [p for p in listing(inputs) if not p.startswith("cache")] == before


def test_3_staged_output_removes_the_parents_it_created(tmp_path):
    from sims.io import staged_output

    with pytest.raises(RuntimeError):
        with staged_output(tmp_path / "new" / "a" / "b") as staging:
            (staging / "half.png").write_bytes(b"x")
            raise RuntimeError("crash")
    assert listing(tmp_path) == []


# 4. SIGTERM removes the staging folder ------------------------------------------------------------------------

def test_4_sigterm_leaves_no_staging_folder(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "sims.cli", "report", "--quick", "--methods", "ode", "--out", "r"],
                            cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not list(tmp_path.glob(".r.staging-*")):
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the report finished before a staging folder was seen")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].endswith("terminated")
    assert listing(tmp_path) == []


# 5. The ODE on a zero matrix ------------------------------------------------------------------------------------

def test_5_ode_on_a_zero_matrix_is_one_line(capsys, inputs):
    assert_refused(capsys, inputs, "simulate", "--matrix", "zeros.npy", "--dim", "2", "--method", "ode",
                   "--out", "z", fragment="no positive eigenvalue")


def test_5_a_failing_solver_stops_with_a_reason(monkeypatch):
    """A solver failure ends the trajectory at the last finite record, marked diverged with the reason."""
    import scipy.integrate

    from sims.simulators import ode
    from theory.predictions import closed_form, random_init

    class Failing(scipy.integrate.DOP853):
        def step(self):
            message = super().step()
            if self.t > 1.0:
                self.status = "failed"
                return "Required step size is less than spacing between numbers."
            return message

    monkeypatch.setitem(ode.SOLVERS, "DOP853", Failing)
    prediction = closed_form(np.load(STEPPED), 2)
    result = ode.run_ode(prediction, random_init(40, 2, 1e-4, 0), 10.0, samples=50)
    assert result.diverged and "step size" in result.extra["reason"]
    assert np.all(np.isfinite(result.error)) and result.times[-1] <= 1.5


# 6. Overflow and underflow --------------------------------------------------------------------------------------

def test_6_huge_matrix_is_refused(capsys, inputs):
    assert_refused(capsys, inputs, "predict", "--matrix", "huge.npy", "--dim", "2", fragment="rescale")
    assert_refused(capsys, inputs, "simulate", "--matrix", "huge.npy", "--dim", "2", "--method", "gd", "--steps", "10",
                   "--out", "h", fragment="rescale")


@pytest.mark.parametrize("seed", [None, 0])
def test_6_tiny_sigma_step_times_use_log_sigma(capsys, inputs, seed):
    code, out, err = run(capsys, "predict", "--matrix", "S.npy", "--dim", "2", "--init-scale", "1e-300", "--json",
                         *([] if seed is None else ["--seed", seed]))
    assert code == 0 and err == ""
    times = json.loads(out)["step_times"]
    # Aligned: t_k = ln(lam_k / sigma^2 - 1) / lam_k with ln sigma^2 = -600 ln 10 (lam_1 = 4: ~345.7).
    lam = np.array([4.0, 2.0])
    expected = (np.log(lam) + 600 * math.log(10)) / lam
    assert np.allclose(times, expected, rtol=0.01)


def test_6_huge_counts_are_normalised_not_reported_as_non_finite(capsys, inputs):
    counts = np.load("C.npy")
    np.save("C_huge.npy", counts * 1e307)
    code, out, err = run(capsys, "predict", "--cooccurrence", "C_huge.npy", "--dim", "2", "--json")
    assert code == 0, err
    _, reference, _ = run(capsys, "predict", "--cooccurrence", "C.npy", "--dim", "2", "--json")
    assert np.allclose(json.loads(out)["eigenvalues"], json.loads(reference)["eigenvalues"], rtol=1e-12)


def test_6_report_with_underflowing_sigma_names_sigma(capsys, inputs):
    assert_refused(capsys, inputs, "report", "--quick", "--init-scale", "1e-300", "--out", "r", fragment="underflows")


# 7. Derived defaults: no learning rate from a target with nothing to learn ------------------------------------

@pytest.mark.parametrize("argv", [["--matrix", "negdef.npy", "--method", "gd"], ["--matrix", "tiny.npy", "--method", "gd"],
                                  ["--cooccurrence", "ones_bool.npy", "--method", "sgd"]])
def test_7_simulate_refuses_what_report_refuses(capsys, inputs, argv):
    err = assert_refused(capsys, inputs, "simulate", *argv, "--dim", "2", "--steps", "5", "--out", "z")
    source = argv[:2]
    err_report = assert_refused(capsys, inputs, "report", *source, "--dim", "2", "--methods", "ode", "--out", "z")
    assert err.split("error: ")[1] == err_report.split("error: ")[1]


# 8. Tables print never / diverged, never nan ---------------------------------------------------------------------

@pytest.mark.parametrize("extra", [[], ["--lr", "5"], ["--init", "w0_zero.npy", "--dim", "4"],
                                   ["--init-scale", "1e10"]])
def test_8_simulate_tables_have_no_nan(capsys, inputs, extra):
    argv = ["simulate", "--matrix", "S.npy", "--dim", "2", "--method", "gd", "--steps", "5", "--out", "x", *extra]
    # A second --dim (with --init) overrides the first: argparse keeps the last.
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert_finite_text(out)
    assert "never" in out or "0" in out
    assert_finite_outputs(inputs / "x")


def test_8_tiny_time_and_sgd_divergence_reason(capsys, inputs):
    code, out, err = run(capsys, "simulate", "--matrix", "S.npy", "--dim", "2", "--method", "gd", "--time", "1e-300",
                         "--out", "t")
    assert code == 0 and "never" in out
    assert_finite_text(out)
    code, out, err = run(capsys, "simulate", "--cooccurrence", "C.npy", "--dim", "2", "--method", "sgd", "--lr", "1e6",
                         "--steps", "64", "--out", "s", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["diverged"] and "diverged" in payload["reason"] and "non-finite" in payload["reason"]
    assert_finite_outputs(inputs / "s")


# 9. Report: a learning rate above the stability limit is reported as such --------------------------------------

def test_9_report_says_unstable_learning_rate(capsys, inputs):
    code, out, err = run(capsys, "report", "--quick", "--lr", "5", "--methods", "ode,gd", "--out", "r",
                         "--no-progress")
    assert code == 0, err
    assert "unstable learning rate" in err and "unstable (ηλ₁ = 51.5)" in out
    assert_finite_text(out)
    assert_finite_outputs(inputs / "r")
    summary = json.loads((inputs / "r" / "summary.json").read_text())
    gd_delay = next(c for c in summary["claims"] if c["id"] == "GD-DELAY")
    assert gd_delay["status"] == "not applicable" and "unstable learning rate" in gd_delay["detail"]
    assert "unstable learning rate" in summary["step_times_reason"]["gd"]
    assert summary["parameters"]["gd_unstable"] is True
    text = (inputs / "r" / "report.md").read_text()
    assert "Warning — unstable learning rate" in text and "unstable (ηλ₁ = 51.5)" in text
    # 12 (last item): a report into a used folder replaces the old one as a whole.
    (inputs / "r" / "stale.png").write_bytes(b"old")
    code, _, err = run(capsys, "report", "--quick", "--lr", "5", "--methods", "ode,gd", "--out", "r", "--no-progress")
    assert code == 0 and not (inputs / "r" / "stale.png").exists()


@pytest.mark.slow
def test_9_report_with_sgd_divergence_marks_its_claims_not_applicable(capsys, inputs):
    code, out, err = run(capsys, "report", "--quick", "--lr", "0.3", "--out", "r", "--no-progress")
    assert code == 0, err
    assert_finite_text(out)
    assert_finite_outputs(inputs / "r")
    summary = json.loads((inputs / "r" / "summary.json").read_text())
    status = {c["id"]: (c["status"], c["detail"]) for c in summary["claims"]}
    assert status["GD-DELAY"][0] == "not applicable" and "unstable learning rate" in status["GD-DELAY"][1]
    for claim in ("SGD-ORDER", "SGD-SUBSPACE"):
        assert status[claim][0] == "not applicable" and "diverged" in status[claim][1]
    assert "unstable learning rate" in (inputs / "r" / "report.md").read_text()


# 11. The right reason for a wrong file --------------------------------------------------------------------------

def test_11_folder_device_and_text_file_get_their_own_reason(capsys, inputs):
    (inputs / "folder.npy").mkdir()
    (inputs / "text.npy").write_text("hello")
    assert_refused(capsys, inputs, "predict", "--matrix", "folder.npy", "--dim", "2", fragment="is a folder")
    assert_refused(capsys, inputs, "predict", "--matrix", "text.npy", "--dim", "2", fragment="no .npy header")
    if Path("/dev/zero").exists():
        os.symlink("/dev/zero", inputs / "device.npy")
        assert_refused(capsys, inputs, "predict", "--matrix", "device.npy", "--dim", "2", fragment="character device")


# 12. Unfriendly but not wrong -----------------------------------------------------------------------------------

def test_12_corpus_errors_name_their_cause(capsys, inputs, monkeypatch):
    monkeypatch.setenv("W2V_THEORY_CACHE", str(inputs / "cache"))
    monkeypatch.setattr(sims.pipelines.report.run, "run_report",
                        lambda *a, **k: pytest.fail("the synthetic part ran before the corpus was checked"))
    (inputs / "empty.txt").write_text("")
    (inputs / "digits.txt").write_text("123 456\n")
    (inputs / "small.txt").write_text("a b c\nd e\n")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 4)
    common = ["report", "--quick", "--methods", "ode", "--out", "r"]
    assert_refused(capsys, inputs, *common, "--corpus", "empty.txt", fragment="empty")
    assert_refused(capsys, inputs, *common, "--corpus", "digits.txt", fragment="no tokens")
    assert_refused(capsys, inputs, *common, "--corpus", "small.txt", "--vocab", "1", fragment="--vocab V=1")
    assert_refused(capsys, inputs, *common, "--corpus", "binary.txt", fragment="binary")


def test_12_negatives_without_cooccurrence_is_refused(capsys, inputs):
    assert_refused(capsys, inputs, "predict", "--matrix", "S.npy", "--dim", "2", "--negatives", "3",
                   fragment="--negatives applies only with --cooccurrence")
    assert_refused(capsys, inputs, "report", "--quick", "--negatives", "3", "--out", "r",
                   fragment="--negatives applies only with --cooccurrence")


def test_12_empty_out_is_refused(capsys, inputs):
    assert_refused(capsys, inputs, "predict", "--matrix", "S.npy", "--dim", "2", "--out", "", fragment="empty")
    assert_refused(capsys, inputs, "simulate", "--matrix", "S.npy", "--dim", "2", "--method", "ode", "--out", "",
                   fragment="empty")


# Limits of derived quantities and of the RNGs ----------------------------------------------------------------

@pytest.mark.parametrize("argv,fragment", [
    (["--method", "gd", "--time", "1e300"], "more than"),
    (["--method", "ode", "--time", "1e300"], "relaxation times"),
    (["--method", "gd", "--steps", "100000000000"], "--steps"),
    (["--method", "ode", "--samples", "10000000"], "--samples"),
    (["--method", "gd", "--init-scale", "1e100"], "too large"),
    (["--method", "gd", "--seed", str(2 ** 64)], "seed"),
])
def test_limits_are_refused_with_the_reason(capsys, inputs, argv, fragment):
    assert_refused(capsys, inputs, "simulate", "--matrix", "S.npy", "--dim", "2", *argv, "--out", "z",
                   fragment=fragment)


def test_sgd_memory_is_checked_up_front(capsys, inputs):
    assert_refused(capsys, inputs, "simulate", "--cooccurrence", "C.npy", "--dim", "2", "--method", "sgd",
                   "--batch", "9999999", "--negatives", "1e6", "--steps", "5", "--out", "z",
                   fragment="memory")


def test_no_traceback_from_a_subprocess(tmp_path):
    """The console entry point itself: bad input is one line on stderr, never a traceback."""
    np.save(tmp_path / "zeros.npy", np.zeros((5, 5)))
    (tmp_path / "text.npy").write_text("x")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    for argv in (["predict", "--matrix", "zeros.npy", "--dim", "2"], ["predict", "--matrix", "text.npy", "--dim", "2"],
                 ["simulate", "--matrix", "zeros.npy", "--dim", "2", "--method", "ode", "--out", "z"]):
        done = subprocess.run([sys.executable, "-m", "sims.cli", *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text.npy", "zeros.npy"]


def test_progress_lines_reach_a_log(monkeypatch):
    """Off a terminal the progress bar writes whole lines (one per interval), not carriage-return redraws."""
    import io

    import sims.progress as progress

    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    bar = progress.progress_bar(10, "demo", True, unit="step")
    bar.fp.interval = 0.0
    for _ in range(10):
        bar.update(1)
        bar.refresh()
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines and all("demo" in line and "\r" not in line for line in lines)
    assert progress.progress_bar(10, "demo", False) is None


def test_12_corpus_with_nothing_to_learn_is_refused_up_front(capsys, inputs, monkeypatch):
    """Found while hardening: a corpus whose M* has no positive eigenvalue among the top d crashed the study
    (IndexError) after the synthetic part; it is now refused before any work."""
    monkeypatch.setenv("W2V_THEORY_CACHE", str(inputs / "cache"))
    monkeypatch.setattr(sims.pipelines.report.run, "run_report",
                        lambda *a, **k: pytest.fail("the synthetic part ran before the corpus was checked"))
    (inputs / "c.txt").write_text("the cat sat on the mat\nthe dog sat on the log\n")
    before = listing(inputs)
    code, out, err = run(capsys, "report", "--quick", "--methods", "ode", "--corpus", "c.txt", "--vocab", "5",
                         "--dim", "2", "--out", "r")
    assert code == 2 and len(err.splitlines()) == 1 and "no positive eigenvalue" in err, err
    assert [p for p in listing(inputs) if not p.startswith("cache")] == before


# Classes of failure the fuzz test (tests/test_fuzz_cli.py) found, each pinned here.

def test_fuzz_found_huge_sigma_in_predict_is_not_small(capsys, inputs):
    """sigma = 1e300: sigma ** 2 raised OverflowError (a traceback); now the init is refused as not small."""
    assert_refused(capsys, inputs, "predict", "--matrix", "S.npy", "--dim", "2", "--init-scale", "1e300",
                   fragment="not small")


def test_fuzz_found_tiny_lr_in_report_is_refused(capsys, inputs):
    """--lr 1e-320: horizon / lr overflowed to inf and int(inf) raised; now GD's step count is refused."""
    assert_refused(capsys, inputs, "report", "--quick", "--lr", "1e-320", "--out", "r", fragment="GD would need")


def test_count_refuses_unwritable_out_and_huge_window(tmp_path, capsys):
    """`count --out /proc/c.npz` (root passes os.access) and an int64-overflowing --window: one line, exit 2."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b\nb c a\n")
    for extra in (["--out", "/proc/c.npz"], ["--window", "99999999999999999999999999", "--out", str(tmp_path / "x.npz")]):
        assert main(["count", str(corpus), "--vocab", "2", *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def test_truncated_cache_file_is_recounted(tmp_path, monkeypatch):
    """Reproduction 10: a truncated cooc-*.npz in the cache is recounted, never a BadZipFile traceback."""
    from sims.corpus import corpus_statistics

    monkeypatch.setenv("W2V_THEORY_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b\nb c a\n")
    first = corpus_statistics(corpus, 2, 1)
    for cached in (tmp_path / "cache").glob("*.npz"):
        with open(cached, "r+b") as handle:
            handle.truncate(50)
    again = corpus_statistics(corpus, 2, 1)
    assert not again.cached and (again.counts == first.counts).all()


def test_each_command_is_its_own_module_and_loads_alone():
    """`w2v-theory COMMAND` imports only that command's module: its NAME is its module's name, and the
    counting command starts without the synthetic pipeline's SciPy statistics or SymPy."""
    from sims.cli import build_parser, command_names

    names = command_names()
    for name in names:
        parser = build_parser([name])
        assert parser._subparsers._group_actions[0].choices.keys() == {name}
    assert set(build_parser([])._subparsers._group_actions[0].choices) == set(names)
    probe = "import sys; from sims.cli import build_parser; build_parser(['count']); " \
            "print(sorted(m for m in ('scipy.stats', 'sympy', 'torch') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout


def test_cooccurrence_never_writes_into_the_callers_counts():
    """theory.target.cooccurrence divides in place only into its own float copy of integer counts."""
    from theory.target import cooccurrence

    counts = np.array([[4.0, 2.0, 1.0], [2.0, 6.0, 3.0], [1.0, 3.0, 8.0]])
    before = counts.copy()
    floats = cooccurrence(counts)
    integers = cooccurrence(counts.astype(np.int64))
    assert np.array_equal(counts, before)
    assert np.array_equal(floats.joint, integers.joint) and np.isclose(floats.joint.sum(), 1.0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_the_cli_keeps_freed_memory_on_glibc():
    """sims.memory asks glibc to keep large freed arrays (the CLI calls it first); glibc accepts both thresholds."""
    from sims.memory import keep_freed_memory

    assert keep_freed_memory()
