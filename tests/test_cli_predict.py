"""`w2v-theory predict`: exact eigen-truncation and plateau errors for any symmetric M; bad input exits 2."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.s2_cli import CliCase
from sims.claims.recording import check_claim
from tests.cli_support import run_cli
from tests.strategies import seeds, spectral_problems, symmetric_nonnegative
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, target_matrix


def predict_json(*argv) -> dict:
    code, out, err = run_cli("predict", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.claim("CLI-TRUNC")
@given(problem=spectral_problems(max_negative=3), extra=st.integers(0, 2))
def test_predict_gives_truncation_by_value(tmp_path_factory, problem, extra):
    """For a symmetric M, predict's embeddings are the eigen-truncation by value (registered claim CLI-TRUNC)."""
    dim = min(problem.dim + extra, problem.size - 1)
    check_claim("CLI-TRUNC", CliCase(problem.matrix, dim, tmp_path_factory.mktemp("predict")))


def test_predict_from_cooccurrence_matches_library(tmp_path):
    """--cooccurrence builds M* exactly as theory.target does, and --negatives k is honoured."""
    counts = symmetric_nonnegative(12, seed=3) * 100
    np.save(tmp_path / "C.npy", counts)
    for k in (1, 5):
        payload = predict_json("--cooccurrence", tmp_path / "C.npy", "--dim", 3, "--negatives", k)
        expected = closed_form(target_matrix(cooccurrence(counts), negatives=k), 3)
        assert np.allclose(payload["eigenvalues"], expected.eigenvalues, rtol=1e-12)


@given(seed=seeds, scale_exponent=st.integers(-8, -3))
def test_predict_seed_uses_the_simulators_init(tmp_path_factory, seed, scale_exponent):
    """--seed S --init-scale s: step times are the QR predictor on random_init(V, d, s, S); no seed: aligned."""
    folder = tmp_path_factory.mktemp("seeded")
    m = np.load("examples/stepped_target.npy", allow_pickle=False)
    np.save(folder / "M.npy", m)
    scale = 10.0 ** scale_exponent
    prediction = closed_form(m, 4)
    seeded = predict_json("--matrix", folder / "M.npy", "--dim", 4, "--init-scale", scale, "--seed", seed)
    assert np.array_equal(seeded["step_times"],
                          prediction.random_step_times(random_init(prediction.size, 4, scale, seed)))
    aligned = predict_json("--matrix", folder / "M.npy", "--dim", 4, "--init-scale", scale)
    lam = prediction.learned_eigenvalues
    # Half-height of the logistic, written out independently of the symbolic layer.
    assert np.allclose(aligned["step_times"], np.log(lam / scale ** 2 - 1) / lam, rtol=1e-12)


def test_predict_table_output():
    code, out, err = run_cli("predict", "--matrix", "examples/stepped_target.npy", "--dim", "4")
    assert code == 0 and err == ""
    assert "learned modes: 4" in out and "final error" in out


def _write(path, array=None, raw: bytes | None = None):
    if raw is not None:
        path.write_bytes(raw)
    else:
        np.save(path, array, allow_pickle=True)
    return path


BAD_INPUTS = {
    # case: (file builder, extra args, fragment the one-line message must contain)
    "missing file": (lambda d: d / "absent.npy", ["--dim", "2"], "does not exist"),
    "not npy": (lambda d: _write(d / "M.txt", raw=b"1 2\n2 1\n"), ["--dim", "1"], "not a .npy"),
    "pickled file": (lambda d: _write(d / "M.npy", raw=pickle.dumps(np.eye(3))), ["--dim", "1"], "pickled"),
    "object array": (lambda d: _write(d / "M.npy", np.array([[1, "a"], ["a", 1]], dtype=object)), ["--dim", "1"], "pickled"),
    "not 2-D": (lambda d: _write(d / "M.npy", np.ones(4)), ["--dim", "1"], "2-D"),
    "not square": (lambda d: _write(d / "M.npy", np.ones((3, 4))), ["--dim", "1"], "square"),
    "not symmetric": (lambda d: _write(d / "M.npy", np.arange(9.0).reshape(3, 3)), ["--dim", "1"], "symmetric"),
    "nan": (lambda d: _write(d / "M.npy", np.where(np.eye(3) > 0, np.nan, 1.0)), ["--dim", "1"], "non-finite"),
    "inf": (lambda d: _write(d / "M.npy", np.where(np.eye(3) > 0, np.inf, 1.0)), ["--dim", "1"], "non-finite"),
    "d < 1": (lambda d: _write(d / "M.npy", np.eye(3)), ["--dim", "0"], "1 <= d < V"),
    "d >= V": (lambda d: _write(d / "M.npy", np.eye(3)), ["--dim", "3"], "1 <= d < V"),
    "sigma <= 0": (lambda d: _write(d / "M.npy", np.eye(3)), ["--dim", "1", "--init-scale", "0"], "positive"),
    "sigma negative": (lambda d: _write(d / "M.npy", np.eye(3)), ["--dim", "1", "--init-scale=-1e-3"], "positive"),
    "complex": (lambda d: _write(d / "M.npy", np.eye(3) * 1j), ["--dim", "1"], "real numbers"),
}
BAD_COUNTS = {
    "negative counts": (np.array([[1.0, -1.0], [-1.0, 2.0]]), "negative"),
    "all-zero row": (np.array([[1.0, 0, 1], [0, 0, 0], [1, 0, 1]]), "all-zero rows"),
}


def _assert_clean_failure(code, out, err, fragment, out_dir):
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in err
    assert not out_dir.exists(), "bad input must write nothing"


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_matrix_input_is_one_line_exit_2(tmp_path, case):
    build, extra, fragment = BAD_INPUTS[case]
    path = build(tmp_path)
    code, out, err = run_cli("predict", "--matrix", path, *extra, "--out", tmp_path / "out")
    _assert_clean_failure(code, out, err, fragment, tmp_path / "out")


@pytest.mark.parametrize("case", sorted(BAD_COUNTS))
def test_bad_cooccurrence_input_is_one_line_exit_2(tmp_path, case):
    counts, fragment = BAD_COUNTS[case]
    np.save(tmp_path / "C.npy", counts)
    code, out, err = run_cli("predict", "--cooccurrence", tmp_path / "C.npy", "--dim", "1",
                             "--out", tmp_path / "out")
    _assert_clean_failure(code, out, err, fragment, tmp_path / "out")


def test_missing_source_and_out_is_a_file(tmp_path):
    code, out, err = run_cli("predict", "--dim", "1")
    assert code == 2 and len(err.strip().splitlines()) == 1
    (tmp_path / "file").write_text("x")
    code, out, err = run_cli("predict", "--matrix", "examples/stepped_target.npy", "--dim", "2",
                             "--out", tmp_path / "file")
    assert code == 2 and "not a folder" in err and (tmp_path / "file").read_text() == "x"


def test_console_script_runs_from_a_subprocess(tmp_path):
    """The installed `w2v-theory` entry point exists and reports errors without a traceback."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sims.cli", "predict", "--matrix", str(tmp_path / "x.npy"),
                           "--dim", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_closed_pipe_ends_quietly():
    """A reader that closes its end (`| head`) ends the command without a traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "sims.cli", "predict", "--matrix", "examples/stepped_target.npy",
                             "--dim", "2", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the command writes: its first write meets a pipe with no reader
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1 and err == "", err
