"""A fuzz test of the CLI contract: Hypothesis generates command lines and input files for every command.

For each generated input, run in-process (sims.cli.main) in a fresh scratch folder:

- the exit status is 0, 1 or 2, and stderr never holds a traceback;
- exit 2 (bad input): at most one line on stderr, and nothing written (the folder's listing is unchanged);
- exit 0 or 1: nothing written holds NaN or inf (JSON parsed strictly, .npy/.npz arrays scanned, text and
  markdown searched for nan/inf tokens), and neither does stdout.

Inputs: arrays of every dtype (bool, ints, floats, complex, structured, datetime), shape and magnitude
(1e-300 .. 1e300, NaN/inf entries), truncated or corrupt .npy and .npz files, text and pickles named
.npy, folders named .npy, odd paths, and extreme text for every numeric flag. Commands: predict,
simulate (ode, gd, sgd), report (--quick and a user matrix, --methods ode), derive, claims (bad flags only:
the claims themselves are never run) and count (when present). Profile knob: W2V_HYPOTHESIS_PROFILE=ci
(default under CI: 150 examples, ~20 s), dev, or thorough (>= 2000 inputs); W2V_FUZZ_EXAMPLES
overrides the number. The test prints how many distinct inputs it tried.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.util
import io
import os
import pickle
import tempfile
import traceback
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sims.cli import main
from tests.cli_support import NONFINITE, assert_finite_file

PROFILE = os.environ.get("W2V_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
FUZZ_EXAMPLES = {"ci": 150, "dev": 60, "thorough": 4000}
EXAMPLES = int(os.environ.get("W2V_FUZZ_EXAMPLES", FUZZ_EXAMPLES.get(PROFILE, 40)))
HAS_COUNT = importlib.util.find_spec("sims.commands.count") is not None
HAS_MAP = importlib.util.find_spec("sims.commands.map") is not None
HAS_ABLATION = importlib.util.find_spec("sims.commands.ablation") is not None
STEPPED = Path(__file__).resolve().parent.parent / "examples" / "stepped_target.npy"

# Every distinct input tried in this session (command line + the description of its files), and the exit
# statuses per command.
TRIED: set = set()
OUTCOMES: collections.Counter = collections.Counter()

# ---------------------------------------------------------------------------------------------------------
# Input files

DTYPES = ["float64", "float32", "float16", "int8", "int64", "uint8", "bool", "complex128", "longdouble"]


@st.composite
def arrays(draw):
    """(array, description): shape, dtype, magnitude, symmetry and sign all drawn."""
    kind = draw(st.sampled_from(["square", "square", "square", "square", "vector", "rect", "cube", "scalar", "empty"]))
    size = draw(st.integers(2, 9))
    shape = {"square": (size, size), "vector": (size,), "rect": (size, size + 1), "cube": (2, size, size),
             "scalar": (), "empty": (0, 0)}[kind]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    values = rng.standard_normal(shape)
    if draw(st.sampled_from([True, True, True, False])) and len(shape) == 2 and shape[0] == shape[1]:
        values = values + values.T
    if draw(st.booleans()):
        values = np.abs(values)
    exponent = draw(st.sampled_from([0] * 8 + [1, -1, 2, 5, -5, 50, -50, 120, -120, 300, -300, 307, -310]))
    with np.errstate(all="ignore"):
        values = values * 10.0 ** exponent
    special = draw(st.sampled_from([None, None, None, "nan", "inf", "zeros", "eye", "negeye", "lowrank"]))
    if values.ndim == 2 and values.size and values.shape[0] == values.shape[1]:
        n = values.shape[0]
        if special == "nan":
            values[0, 0] = np.nan
        elif special == "inf":
            values[-1, -1] = np.inf
        elif special == "zeros":
            values = np.zeros_like(values)
        elif special in ("eye", "negeye"):
            values = np.eye(n) * (1 if special == "eye" else -1) * 10.0 ** min(exponent, 300)
        elif special == "lowrank":
            u = rng.standard_normal((n, 1))
            values = u @ u.T * 10.0 ** min(exponent, 300)
    dtype = draw(st.sampled_from(["float64"] * 6 + DTYPES + ["structured", "datetime"]))
    with np.errstate(all="ignore"):
        if dtype == "structured":
            out = np.zeros(shape, dtype=[("a", "f8"), ("b", "i4")])
            out["a"] = values
        elif dtype == "datetime":
            out = np.zeros(shape, dtype="datetime64[s]")
        elif dtype == "bool":
            out = values > 0
        elif dtype.startswith(("int", "uint")):
            info = np.iinfo(dtype)
            out = np.clip(np.nan_to_num(values), info.min, info.max).astype(dtype)
        elif dtype == "complex128":
            out = values.astype(np.complex128) * (1 + 1j * draw(st.sampled_from([0.0, 1.0])))
        else:
            out = values.astype(dtype)
    return out, f"{kind}{shape}:{dtype}:e{exponent}:{special}"


@st.composite
def input_files(draw, name: str = "M.npy"):
    """A file (or folder, or nothing) at a drawn path; returns (path text, description, writer(folder))."""
    form = draw(st.sampled_from(["array"] * 8 + ["stepped"] * 8 + ["truncated", "garbage", "text", "empty", "pickle",
                                                                  "object", "npz", "folder", "missing", "suffix",
                                                                  "odd-name", "long-name"]))
    array, described = draw(arrays()) if form in ("array", "truncated", "npz", "odd-name") else (None, "")
    path = {"odd-name": f"odd name ü {name}", "long-name": "x" * 300 + ".npy", "suffix": name[:-4] + ".txt"}.get(form, name)

    def write(folder: Path):
        target = folder / path
        if form in ("array", "odd-name", "suffix"):
            np.save(folder / (path if path.endswith(".npy") else path + ".npy"), array)
            if form == "suffix":
                os.replace(folder / (path + ".npy"), target)
        elif form == "stepped":
            np.save(target, np.load(STEPPED))
        elif form == "truncated":
            buffer = io.BytesIO()
            np.save(buffer, array)
            data = buffer.getvalue()
            target.write_bytes(data[: max(1, len(data) * draw_cut // 100)])
        elif form == "garbage":
            target.write_bytes(bytes(np.random.default_rng(len(path)).integers(0, 256, 300, dtype=np.uint8)))
        elif form == "text":
            target.write_text("1 2 3\n4 5 6\n")
        elif form == "pickle":
            target.write_bytes(pickle.dumps(np.eye(3)))
        elif form == "object":
            np.save(target, np.array([[1, "a"], ["b", 2]], dtype=object), allow_pickle=True)
        elif form == "npz":
            with open(target, "wb") as handle:
                np.savez(handle, a=array)
        elif form == "folder":
            target.mkdir()
        # missing, long-name: nothing is created

    draw_cut = draw(st.integers(1, 99))
    return path, f"{form}:{described}:{draw_cut if form == 'truncated' else ''}", write


def numbers(kind: str):
    """Text for a numeric flag: ordinary values and every extreme."""
    extreme = ["0", "-1", "nan", "inf", "-inf", "1e-320", "1e-300", "1e300", "1e308", "abc", "", "1e999",
               "99999999999999999999999999", "0x10", " 3", "1_000"]
    ordinary = {"lr": ["0.01", "0.1", "0.5", "5"], "time": ["1e-3", "0.5", "2"], "scale": ["1e-4", "1e-12", "1e-150", "1e10"],
                "steps": ["1", "3", "20"], "dim": ["1", "2", "3", "8"], "seed": ["0", "1", "18446744073709551614",
                                                                              "18446744073709551615"],
                "negatives": ["1", "3", "0.5", "1e6"], "batch": ["1", "16", "4096", "100000000"],
                "samples": ["2", "3", "50", "100000000"], "vocab": ["2", "5", "100", "1"], "window": ["1", "2", "16"]}
    return st.sampled_from(ordinary[kind] * 3 + extreme)


def optional(flag: str, values):
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]))


# ---------------------------------------------------------------------------------------------------------
# Command lines

@st.composite
def predict_lines(draw):
    source = draw(st.sampled_from(["--matrix", "--cooccurrence"]))
    path, described, write = draw(input_files())
    argv = ["predict", source, path]
    argv += draw(optional("--dim", numbers("dim"))) or ["--dim", "2"]
    for flag, kind in (("--init-scale", "scale"), ("--seed", "seed"), ("--negatives", "negatives")):
        argv += draw(optional(flag, numbers(kind)))
    argv += draw(st.sampled_from([[], ["--json"], ["--out", "out"], ["--out", "new/a/b"], ["--out", ""],
                                  ["--out", "/proc/x"], ["--out", "M.npy"], ["--out", "a/../b"]]))
    return argv, [(write, described)]


@st.composite
def simulate_lines(draw):
    method = draw(st.sampled_from(["ode", "gd", "sgd", "gd", "ode"]))
    source = "--cooccurrence" if method == "sgd" and draw(st.booleans()) else draw(
        st.sampled_from(["--matrix", "--cooccurrence"]))
    path, described, write = draw(input_files())
    argv = ["simulate", source, path, "--method", method, "--no-progress"]
    argv += draw(optional("--dim", numbers("dim"))) or ["--dim", "2"]
    files = [(write, described)]
    # Always a short run: small --steps for gd/sgd, a short --time for the ODE (extremes are refused).
    if method == "ode":
        argv += ["--time", draw(numbers("time"))]
        argv += draw(optional("--samples", numbers("samples")))
    else:
        argv += ["--steps", draw(numbers("steps"))]
        argv += draw(optional("--lr", numbers("lr")))
    if method == "sgd":
        argv += draw(optional("--batch", numbers("batch")))
        argv += draw(st.sampled_from([[], ["--sampler", "entries"], ["--loss", "sgns"], ["--untied"]]))
    if draw(st.booleans()):
        init_path, init_described, init_write = draw(input_files("W0.npy"))
        argv += ["--init", init_path]
        files.append((init_write, init_described))
    for flag, kind in (("--init-scale", "scale"), ("--seed", "seed"), ("--negatives", "negatives")):
        argv += draw(optional(flag, numbers(kind)))
    argv += draw(st.sampled_from([["--out", "out"], ["--out", "out", "--json"], ["--out", "new/a/b"], ["--out", ""],
                                  ["--out", "/sys/x"], ["--dtype", "float32", "--out", "o"]]))
    return argv, files


@st.composite
def report_lines(draw):
    argv = ["report", "--methods", "ode", "--no-progress"]
    files = []
    variant = draw(st.sampled_from(["quick", "matrix", "flags", "flags", "flags", "corpus"]))
    if variant == "quick":
        argv += ["--quick"]
    elif variant == "matrix":
        path, described, write = draw(input_files())
        argv += [draw(st.sampled_from(["--matrix", "--cooccurrence"])), path, "--dim", draw(numbers("dim"))]
        files.append((write, described))
    elif variant == "corpus":
        text = draw(st.sampled_from(["", "123\n", "a b c\nd e\n", "\x00\x01binary", "the cat sat on the mat\n" * 3]))
        argv += ["--quick", "--corpus", "corpus.txt", "--vocab", draw(numbers("vocab"))]
        files.append((lambda folder, text=text: (folder / "corpus.txt").write_text(text), repr(text)))
    else:
        argv += ["--quick"]
        flag, kind = draw(st.sampled_from([("--lr", "lr"), ("--init-scale", "scale"), ("--seed", "seed"),
                                           ("--dim", "dim"), ("--negatives", "negatives"), ("--window", "window"),
                                           ("--vocab", "vocab")]))
        value = draw(numbers(kind))
        argv += [flag, value]
        if value in {"0.01", "0.1", "0.5", "5", "1e-4", "1e-12", "1e10", "0", "1", "2", "3", "8",
                     "18446744073709551614"}:
            argv += ["--methods", "bogus"]  # an ordinary value would run the whole report: refuse cheaply
    argv += draw(st.sampled_from([["--out", "r"], ["--out", "/proc/x"], ["--out", ""], ["--out", "new/a/b"]]))
    return argv, files


@st.composite
def small_lines(draw):
    """derive (its flags), claims (bad flags only), count and map (small inputs, when present), ablation (bad
    input only)."""
    choice = draw(st.sampled_from(["derive", "claims"] + ["count"] * HAS_COUNT + ["map"] * HAS_MAP
                                  + ["ablation"] * HAS_ABLATION))
    if choice == "derive":
        return ["derive", *draw(st.sampled_from([[], ["--json"], ["--latex"], ["--json", "--latex"], ["--bogus"]]))], []
    if choice == "claims":
        return ["claims", *draw(st.sampled_from([["--profile", "nope"], ["--bogus"], ["-k"], ["--profile"],
                                                 ["--json", "--profile", "x"]]))], []
    if choice == "map":
        return ["map", *draw(st.sampled_from([["--bogus"], ["--help-not"], []]))], []
    if choice == "ablation":  # bad input only (a good one trains four models): refused before any work
        flags = draw(st.sampled_from([[], ["--vocab", "0"], ["--vocab", "1"], ["--dim", "0"], ["--dim", "5000"],
                                      ["--vocab", "99999999999999999999"], ["--seed", "-1"], ["--counts", "c.npz"],
                                      ["--device", "tpu"], ["--bogus"]]))
        corpus = draw(st.sampled_from([[], ["corpus.txt"], ["nope.txt"]]))
        out = draw(st.sampled_from([["--out", "a"], ["--out", ""], ["--out", "/proc/x"]]))
        return (["ablation", *corpus, *flags, *out, "--no-progress"],
                [(lambda folder: (folder / "corpus.txt").write_text("a b c\nd e\n"), "'a b c\\nd e\\n'")])
    text = draw(st.sampled_from(["", "a b c\nd e\n", "the cat sat on the mat\nthe dog sat\n" * 3, "\x00\xff"]))
    # count belongs to another engineer: ordinary --vocab/--window only until its integer limits are checked
    # (a window of 1e26 overflows its kernel: reported to its owner).
    argv = ["count", "corpus.txt", "--vocab", draw(st.sampled_from(["2", "3", "5", "100", "1", "0"])),
            "--window", draw(st.sampled_from(["1", "2", "16", "0"])), "--workers", "1", "--no-progress"]
    # Not "/proc/c.npz" yet: count checks writability with os.access, which root passes there (its owner is
    # told: sims.io.check_output_file tries it instead).
    argv += draw(st.sampled_from([["--out", "c.npz"], ["--out", "c.txt"], ["--out", ""]]))
    return argv, [(lambda folder, text=text: (folder / "corpus.txt").write_text(text), repr(text))]


command_lines = st.one_of(predict_lines(), predict_lines(), simulate_lines(), simulate_lines(), simulate_lines(),
                          report_lines(), small_lines())

# ---------------------------------------------------------------------------------------------------------
# The contract


def _listing(folder: Path) -> list:
    return sorted((str(p.relative_to(folder)), p.is_dir(), p.stat().st_size if p.is_file() else 0)
                  for p in folder.rglob("*"))


def _check_written(folder: Path, before: list) -> None:
    old = {entry[0] for entry in before}
    for path in folder.rglob("*"):
        if str(path.relative_to(folder)) in old or not path.is_file():
            continue
        assert_finite_file(path)


def check_contract(argv: list, files: list) -> None:
    TRIED.add((tuple(argv), tuple(d for _, d in files)))
    with tempfile.TemporaryDirectory(prefix="w2v-fuzz-") as scratch:
        folder = Path(scratch)
        for write, _ in files:
            write(folder)
        before = _listing(folder)
        out, err = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exc:  # argparse
                    code = exc.code
                except Exception:  # an escaped exception is a traceback for the user
                    code = "exception"
                    err.write(traceback.format_exc())
        finally:
            os.chdir(cwd)
        stdout, stderr = out.getvalue(), err.getvalue()
        OUTCOMES[(argv[0] if argv else "", code)] += 1
        context = f"\nargv: {argv}\nfiles: {[d for _, d in files]}\nstderr: {stderr[-3000:]}"
        assert code in (0, 1, 2), f"exit {code!r}" + context
        assert "Traceback" not in stderr, "traceback" + context
        if code == 2:
            assert len(stderr.splitlines()) <= 1, "more than one line for bad input" + context
            assert _listing(folder) == before, "bad input wrote something" + context
        else:
            match = NONFINITE.search(stdout)
            assert not match, f"{match.group(0)} on stdout" + context + f"\nstdout: {stdout[-2000:]}"
            _check_written(folder, before)


def _stepped(folder: Path) -> None:
    np.save(folder / "M.npy", np.load(STEPPED))


# Inputs that must succeed, always tried first: the no-NaN half of the contract is checked on real runs too.
SUCCESSES = [
    ["predict", "--matrix", "M.npy", "--dim", "3", "--init-scale", "1e-300", "--seed", "1", "--out", "out"],
    ["simulate", "--matrix", "M.npy", "--dim", "2", "--method", "ode", "--time", "2", "--out", "out", "--json"],
    ["simulate", "--matrix", "M.npy", "--dim", "2", "--method", "gd", "--steps", "5", "--lr", "5", "--out", "out"],
    ["simulate", "--matrix", "M.npy", "--dim", "4", "--method", "gd", "--steps", "3", "--init-scale", "1e10",
     "--out", "out"],
]


def _with_successes(test):
    for argv in SUCCESSES:
        test = example(line=(argv, [(_stepped, "stepped::")]))(test)
    return test


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=PROFILE == "ci",
          suppress_health_check=list(HealthCheck))
@_with_successes
@given(line=command_lines)
def _fuzz(line):
    argv, files = line
    check_contract(argv, files)


# The per-test limit (pyproject's 300 s) fits the ci and dev profiles; the thorough one runs thousands of inputs.
@pytest.mark.timeout(3600 if PROFILE == "thorough" else 300)
def test_cli_contract_under_fuzzing(capsys):
    """Every generated command line keeps the contract (module docstring); prints the number of inputs tried."""
    TRIED.clear()
    OUTCOMES.clear()
    _fuzz()
    tally = ", ".join(f"{command} exit {code}: {n}" for (command, code), n in sorted(OUTCOMES.items(), key=str))
    with capsys.disabled():
        print(f"\nfuzz ({PROFILE} profile): {len(TRIED)} distinct inputs tried ({EXAMPLES} examples asked for); "
              f"{tally}")
    assert TRIED
