"""`w2v-theory claims`: run the suite's claim and conjecture tests with pytest and print the claims ledger."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sims.commands._common import print_json
from theory.validation import InputError

NAME = "claims"
ORDER = 90
HELP = "run the claim and conjecture tests and print the claims ledger"
DESCRIPTION = """\
Runs the test suite's claims (established results of THEORY.md; a failure exits 1) and
conjectures (open questions; reported as holds / refuted / open, never failing) with pytest,
then prints the claims ledger: id, status, Hypothesis examples run, the worst measured error
relative to its tolerance, and the statement.

Needs the source checkout's tests/ folder: it is looked up next to the installed packages
(an editable install) and then in the current directory.

examples:
  w2v-theory claims
  w2v-theory claims --profile thorough -k "ST-LIMIT or SILENT"
  w2v-theory claims --json > ledger.json
"""

PROFILES = ("ci", "dev", "thorough")


def add_arguments(parser) -> None:
    parser.add_argument("--profile", choices=PROFILES, default="ci",
                        help="Hypothesis profile: ci (derandomised, 12 examples; default), dev (random, 10), "
                             "thorough (200 examples; slow)")
    parser.add_argument("-k", dest="keyword", metavar="EXPR", default=None,
                        help="only tests matching this pytest -k expression (test names, files, claim markers)")
    parser.add_argument("--json", action="store_true", help="print the ledger as one JSON object instead of a table")
    parser.add_argument("--verbose", "-v", action="store_true", help="show pytest's own output as well")


def find_tests_folder() -> Path:
    """The checkout's tests/ (the claim tests; the ledger plugin is sims.claims.ledger): beside the installed
    `sims` package, else in the cwd."""
    import sims

    candidates = [Path(sims.__file__).resolve().parent.parent / "tests", Path.cwd() / "tests"]
    for folder in candidates:
        if (folder / "claims").is_dir() and (folder.parent / "conftest.py").is_file():
            return folder
    raise InputError("cannot find the test suite (tests/claims/): run from the source checkout of w2v-theory "
                     "or install it editable (pip install -e .)")


def run(args) -> int:
    import importlib.util

    if importlib.util.find_spec("pytest") is None or importlib.util.find_spec("hypothesis") is None:
        raise InputError("the claims need pytest and hypothesis: pip install 'w2v-theory[test]'")
    tests = find_tests_folder()
    root = tests.parent
    with tempfile.TemporaryDirectory(prefix="w2v-claims-") as scratch:
        ledger_path = Path(scratch) / "claims.json"
        command = [sys.executable, "-m", "pytest", str(tests), "-m", "claim or conjecture", "-p", "no:cacheprovider",
                   "--claims-json", str(ledger_path), "-q", "--benchmark-skip"]
        if args.keyword:
            command += ["-k", args.keyword]
        env = dict(os.environ, W2V_HYPOTHESIS_PROFILE=args.profile)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        completed = subprocess.run(command, cwd=root, env=env, text=True,
                                   stdout=None if args.verbose else subprocess.PIPE,
                                   stderr=None if args.verbose else subprocess.STDOUT)
        if not ledger_path.is_file():
            output = (completed.stdout or "").strip().splitlines()
            raise InputError("pytest wrote no ledger (exit code %d): %s"
                             % (completed.returncode, output[-1] if output else "see --verbose"))
        payload = json.loads(ledger_path.read_text())
    # pytest: 0 all passed, 1 some failed, 5 nothing collected; a refuted conjecture fails it only when its
    # outcome differs from tests/conjectures/expected.py (a flip).
    if completed.returncode == 5 or not payload.get("claims"):
        raise InputError(f"no claim or conjecture matched -k {args.keyword!r}" if args.keyword
                         else "no claim or conjecture was collected")
    if args.json:
        print_json(payload)
    elif not args.verbose:  # pytest already printed the ledger in verbose mode
        from sims.claims.ledger import format_ledger

        for line in format_ledger(payload):
            print(line)
    return 0 if completed.returncode == 0 else 1
