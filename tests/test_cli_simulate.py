"""`w2v-theory simulate`: every method writes its trajectory and embeddings; bad input exits 2 and writes nothing."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from sims.data.synthetic import matrix_with_spectrum, planted_joint, zipf_unigram
from tests.cli_support import run_cli
from sims.claims.recording import assert_within
from theory.predictions import closed_form, random_init

V, D = 10, 2
JSON_KEYS = {"method", "device", "dtype", "size", "dim", "learned_modes", "init", "init_scale", "seed", "lr",
             "steps", "times", "records", "measured_step_times", "predicted_step_times", "final_error",
             "predicted_final_error", "converged", "diverged", "reason"}


@pytest.fixture
def matrix(tmp_path):
    path = tmp_path / "M.npy"
    np.save(path, matrix_with_spectrum([2.0, 1.0, 0.05, -0.5] + [0.0] * (V - 4), 3))
    return path


@pytest.fixture
def counts(tmp_path):
    path = tmp_path / "C.npy"
    np.save(path, planted_joint(zipf_unigram(V, 0.5), (2.0, 1.0), 5))
    return path


def _check_outputs(folder, payload, method):
    assert JSON_KEYS <= set(payload), JSON_KEYS - set(payload)
    assert payload["method"] == method and payload["size"] == V and payload["dim"] == D
    with np.load(folder / "trajectory.npz", allow_pickle=False) as trajectory:
        assert {"times", "singular_values", "loss", "error", "effective_rank", "overlap"} <= set(trajectory.files)
        times, sv = trajectory["times"], trajectory["singular_values"]
        assert sv.shape == (len(times), D) and trajectory["loss"].shape == times.shape
        assert np.all(np.diff(times) > 0) and times[0] == 0.0
        assert [times[0], times[-1]] == pytest.approx(payload["times"]) and len(times) == payload["records"]
    w = np.load(folder / "embeddings.npy", allow_pickle=False)
    assert w.shape == (V, D) and w.dtype == np.float64 and np.all(np.isfinite(w))
    assert json.loads((folder / "summary.json").read_text()) == payload


@pytest.mark.parametrize("method", ["ode", "gd"])
def test_simulate_matrix_methods(tmp_path, matrix, method):
    """ode and gd from --seed S reproduce predict's step times and the predicted final error."""
    out = tmp_path / method
    code, stdout, err = run_cli("simulate", "--matrix", matrix, "--dim", D, "--method", method, "--seed", 7,
                                "--init-scale", 1e-4, "--out", out, "--json")
    assert code == 0, err
    payload = json.loads(stdout)
    _check_outputs(out, payload, method)
    code, predicted, err = run_cli("predict", "--matrix", matrix, "--dim", D, "--seed", 7, "--init-scale", 1e-4,
                                   "--json")
    assert payload["predicted_step_times"] == pytest.approx(json.loads(predicted)["step_times"], rel=1e-12)
    assert payload["converged"] and not payload["diverged"]
    assert payload["final_error"] == pytest.approx(payload["predicted_final_error"], rel=1e-6)
    measured, expected = np.array(payload["measured_step_times"]), np.array(payload["predicted_step_times"])
    if method == "ode":
        assert_within(np.max(np.abs(measured - expected) / expected), "step_time_qr",
                      what="CLI ode step times vs QR predictor")
    else:  # default lr = 0.1 / lam_1: GD lags the flow by a few per cent (THEORY §4), never leads it
        assert payload["lr"] == pytest.approx(0.1 / 2.0) and payload["dtype"] == "float64"
        assert np.all(measured > expected) and np.all(measured < 1.1 * expected)


@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_simulate_sgd(tmp_path, counts, sampler):
    out = tmp_path / "sgd"
    code, stdout, err = run_cli("simulate", "--cooccurrence", counts, "--dim", D, "--method", "sgd", "--seed", 1,
                                "--init-scale", 1e-3, "--steps", 300, "--batch", 512, "--sampler", sampler,
                                "--out", out, "--json")
    assert code == 0, err
    payload = json.loads(stdout)
    _check_outputs(out, payload, "sgd")
    assert payload["steps"] == 300 and payload["dtype"] == "float32" and payload["batch"] == 512
    assert payload["sampler"] == sampler
    assert payload["times"][1] == pytest.approx(300 * payload["flow_time_per_step"])


def test_init_file_equals_seeded_init(tmp_path, matrix):
    """--init W0.npy with W0 = random_init(V, d, sigma, S) gives exactly the --init-scale sigma --seed S run."""
    w0 = random_init(V, D, 1e-3, 2)
    np.save(tmp_path / "W0.npy", w0)
    common = ("simulate", "--matrix", matrix, "--dim", D, "--method", "gd", "--steps", 300, "--lr", 0.05)
    assert run_cli(*common, "--init", tmp_path / "W0.npy", "--out", tmp_path / "a")[0] == 0
    assert run_cli(*common, "--init-scale", 1e-3, "--seed", 2, "--out", tmp_path / "b")[0] == 0
    a = np.load(tmp_path / "a" / "embeddings.npy")
    b = np.load(tmp_path / "b" / "embeddings.npy")
    assert np.array_equal(a, b)


def test_default_seed_is_zero_and_time_option(tmp_path, matrix):
    code, stdout, _ = run_cli("simulate", "--matrix", matrix, "--dim", D, "--method", "gd", "--time", 5.0,
                              "--lr", 0.01, "--out", tmp_path / "o", "--json")
    payload = json.loads(stdout)
    prediction = closed_form(np.load(matrix), D)
    assert payload["seed"] == 0 and payload["steps"] == 500 and payload["times"][1] == pytest.approx(5.0)
    assert payload["predicted_step_times"] == pytest.approx(
        prediction.random_step_times(random_init(V, D, 1e-4, 0)), rel=1e-12)
    code, text, err = run_cli("simulate", "--matrix", matrix, "--dim", D, "--method", "ode", "--time", 3.0,
                              "--out", tmp_path / "t")
    assert code == 0 and "final error" in text and err == ""


def _write(path, array=None, raw=None):
    if raw is not None:
        path.write_bytes(raw)
    else:
        np.save(path, array)
    return path


BAD = {
    # case: (argument builder given (folder, matrix, counts), fragment of the one-line message)
    "missing matrix": (lambda d, m, c: ["--matrix", d / "absent.npy", "--dim", 2, "--method", "ode"], "does not exist"),
    "pickled matrix": (lambda d, m, c: ["--matrix", _write(d / "P.npy", raw=pickle.dumps(np.eye(3))), "--dim", 1,
                                        "--method", "ode"], "pickled"),
    "not symmetric": (lambda d, m, c: ["--matrix", _write(d / "A.npy", np.arange(9.0).reshape(3, 3)), "--dim", 1,
                                       "--method", "gd"], "symmetric"),
    "d >= V": (lambda d, m, c: ["--matrix", m, "--dim", V, "--method", "ode"], "1 <= d < V"),
    "d < 1": (lambda d, m, c: ["--matrix", m, "--dim", 0, "--method", "ode"], "1 <= d < V"),
    "lr zero": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--lr", 0], "positive"),
    "lr negative": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--lr=-0.1"], "positive"),
    "steps zero": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--steps", 0], ">= 1"),
    "time negative": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "ode", "--time=-1"], "positive"),
    "steps and time": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--steps", 5, "--time", 1],
                       "not allowed"),
    "sigma zero": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "ode", "--init-scale", 0], "positive"),
    "init shape": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd",
                                    "--init", _write(d / "W.npy", np.zeros((V, 3)))], "shape"),
    "init nan": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "ode",
                                  "--init", _write(d / "W.npy", np.full((V, 2), np.nan))], "non-finite"),
    "init and scale": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "ode", "--init-scale", 1e-3,
                                        "--init", _write(d / "W.npy", np.zeros((V, 2)))], "not both"),
    "sgd without counts": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "sgd"], "--cooccurrence"),
    "loss with gd": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--loss", "sgns"], "sgd"),
    "sampler with ode": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "ode", "--sampler", "entries"], "sgd"),
    "batch with ode": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "ode", "--batch", 8], "sgd"),
    "bad method": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "adam"], "invalid choice"),
    "bad dtype": (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--dtype", "float16"],
                  "invalid choice"),
    "negative counts": (lambda d, m, c: ["--cooccurrence", _write(d / "N.npy", np.array([[1.0, -1.0], [-1.0, 2.0]])),
                                         "--dim", 1, "--method", "sgd"], "negative"),
}
if not torch.cuda.is_available():
    BAD["cuda absent"] = (lambda d, m, c: ["--matrix", m, "--dim", 2, "--method", "gd", "--device", "cuda"], "CUDA")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, matrix, counts, case):
    build, fragment = BAD[case]
    out = tmp_path / "out"
    code, stdout, err = run_cli("simulate", *build(tmp_path, matrix, counts), "--out", out)
    assert code == 2
    assert stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0], lines[0]
    assert not out.exists(), "bad input must write nothing"
    assert not any(p.name.startswith(".out.staging") for p in tmp_path.iterdir())


def test_out_is_a_file(tmp_path, matrix):
    (tmp_path / "file").write_text("x")
    code, _, err = run_cli("simulate", "--matrix", matrix, "--dim", 2, "--method", "ode", "--out", tmp_path / "file")
    assert code == 2 and "not a folder" in err and (tmp_path / "file").read_text() == "x"
