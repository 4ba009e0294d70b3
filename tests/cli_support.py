"""Run the `w2v-theory` CLI in-process for tests, and check that what it wrote holds no NaN or inf."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from sims.cli import main


def run_cli(*argv):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


# A nan/inf/infinity token standing alone (not inside a word such as "infinite" or "information").
NONFINITE = re.compile(r"(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])", re.IGNORECASE)


def assert_finite_text(text: str, where: str = "") -> None:
    match = NONFINITE.search(text)
    assert not match, f"{match.group(0)} in {where or text[:2000]}"


def assert_finite_file(path: Path) -> None:
    """Strict JSON, finite numeric .npy/.npz arrays, no nan/inf token in a text file (.md, .txt, .csv)."""
    if path.suffix == ".json":
        json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"{name} in {path}"))
    elif path.suffix in (".npy", ".npz"):
        data = np.load(path, allow_pickle=False)
        arrays = [data] if isinstance(data, np.ndarray) else [data[k] for k in data.files]
        for array in arrays:
            if np.issubdtype(array.dtype, np.number):
                assert np.all(np.isfinite(array)), f"non-finite values in {path}"
    elif path.suffix in (".md", ".txt", ".csv"):
        assert_finite_text(path.read_text(errors="replace"), str(path))


# Bad corpus-or-counts inputs every real-text command refuses the same way (sims.commands._common.text_source), as
# (arguments, message) with {missing}, {missing_npz}, {bad_npz} and {lee} filled in by the test.
TEXT_SOURCE_BAD_INPUTS = [
    ([], "give a CORPUS or --counts"),
    (["{missing}"], "does not exist"),
    (["--counts", "{missing_npz}"], "does not exist"),
    (["--counts", "{bad_npz}"], "lacks"),
    (["{lee}", "--counts", "{bad_npz}"], "not both"),
    (["{lee}", "--vocab", "300", "--dim", "300"], "--dim"),
]
