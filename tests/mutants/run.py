"""Mutation check of the claims: plant each bug of tests/mutants/mutants.py, one at a time, in a scratch copy
of the checkout, run the claims, and report which claim id caught it (`tox -e mutants`).

For each mutant: replace its exact `old` text (it must occur exactly once, else this stops with exit
status 2), run `pytest -m "claim or conjecture" -x` on its test files under the Hypothesis "ci" profile
with the claims ledger's --claims-json, take the first failing test and look its id up in the ledger.
A mutant is caught when that test is a claim's (a conjecture that flips, a test without an id, a
collection error, a stall or a clean pass all count as NOT caught) and the same test passes once the
mutant is removed again. Exit status 0 when every mutant is caught, 1 otherwise.

    python tests/mutants/run.py                      # every mutant
    python tests/mutants/run.py tau-x2 gd-step-missing-half --json mutants.json
    python tests/mutants/run.py --list
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
IGNORED = {".git", ".tox", ".hypothesis", ".pytest_cache", ".benchmarks", "__pycache__", "w2v-report", ".venv",
           "build", "dist", ".mypy_cache", ".ruff_cache"}
# Seconds per test inside a mutant run (pytest-timeout): well above the slowest test (~10 s under "ci"),
# far below the suite's 300 s, so a mutant that makes a test stall costs two minutes, not five.
TEST_TIMEOUT_S = 120
RUN_TIMEOUT_S = 1800  # a whole mutant run; beyond it the mutant counts as stalled (not caught)


def load_mutants():
    spec = importlib.util.spec_from_file_location("w2v_mutants", HERE / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.MUTANTS


class MutantError(Exception):
    """A mutant that cannot be applied exactly as written."""


def scratch_copy(destination: Path) -> Path:
    """The checkout's working tree (edits included; VCS, caches and build outputs left out)."""
    shutil.copytree(ROOT, destination, ignore=lambda folder, names: [
        n for n in names if n in IGNORED or n.endswith(".egg-info")])
    return destination


def apply(mutant, tree: Path) -> str:
    """Plant `mutant` in `tree`; return the file's original text (to restore)."""
    path = tree / mutant.file
    if not path.is_file():
        raise MutantError(f"mutant {mutant.id}: no file {mutant.file}")
    text = path.read_text(encoding="utf-8")
    found = text.count(mutant.old)
    if found != 1:
        raise MutantError(f"mutant {mutant.id}: its `old` text occurs {found} times in {mutant.file} (needs "
                          f"exactly 1; update tests/mutants/mutants.py): {mutant.old!r}")
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
    return text


def environment(tree: Path) -> dict:
    env = dict(os.environ, W2V_HYPOTHESIS_PROFILE="ci", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(tree)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def check_imports_from(tree: Path) -> None:
    """The runs must import theory/ and sims/ from the scratch copy, not an installed (or editable) package."""
    code = "import theory, sims; print(theory.__file__); print(sims.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=environment(tree), text=True,
                         capture_output=True, check=True).stdout.split()
    for path in out:
        if not Path(path).resolve().is_relative_to(tree.resolve()):
            raise MutantError(f"python imports {path}, not the scratch copy in {tree}: mutants would not apply")


def test_paths(mutant, tree: Path, everything: bool, override=None) -> list[str]:
    paths = list(override or mutant.tests)
    if everything or not paths:
        return ["tests"]
    missing = [p for p in paths if not (tree / p).exists()]
    if missing:
        print(f"  note: {mutant.id}: {', '.join(missing)} no longer exist(s); running all of tests/", flush=True)
        return ["tests"]
    return paths


def pytest_command(paths, ledger: Path, timeout: float = TEST_TIMEOUT_S) -> list[str]:
    return [sys.executable, "-m", "pytest", *paths, "-m", "claim or conjecture", "-x", "-p", "no:cacheprovider",
            "--benchmark-skip", "-q", "-rfE", "--claims-json", str(ledger), "-o", f"timeout={timeout:g}",
            "-o", "timeout_method=signal"]


def first_failure(output: str) -> str | None:
    """The nodeid of the first FAILED/ERROR line of pytest's short test summary."""
    for line in output.splitlines():
        for prefix in ("FAILED ", "ERROR "):
            if line.startswith(prefix):
                return line[len(prefix):].split(" - ")[0].strip()
    return None


def ledger_row(ledger: Path, nodeid: str) -> dict | None:
    if not ledger.is_file():
        return None
    for row in json.loads(ledger.read_text())["claims"]:
        if any(test["nodeid"] == nodeid for test in row["tests"]):
            return row
    return None


def run_mutant(mutant, tree: Path, everything: bool, verbose: bool, tests=None,
               timeout: float = TEST_TIMEOUT_S) -> dict:
    result = {"id": mutant.id, "description": mutant.description, "file": mutant.file, "caught_by": None,
              "first_failure": None, "seconds": None, "note": ""}
    paths = test_paths(mutant, tree, everything, tests)
    original = apply(mutant, tree)
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="w2v-mutant-") as folder:
            ledger = Path(folder) / "claims.json"
            try:
                completed = subprocess.run(pytest_command(paths, ledger, timeout), cwd=tree, env=environment(tree),
                                           text=True, capture_output=True, timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                result["note"] = f"the run stalled past {RUN_TIMEOUT_S} s"
                return result
            finally:
                result["seconds"] = round(time.perf_counter() - start, 1)
            output = completed.stdout + completed.stderr
            if verbose:
                print(output, flush=True)
            nodeid = first_failure(output)
            result["first_failure"] = nodeid
            if completed.returncode == 0:
                result["note"] = "survived: every selected claim passed"
            elif nodeid is None:
                tail = [line for line in output.strip().splitlines() if line.strip()][-1:]
                result["note"] = f"pytest exit status {completed.returncode}, no failing test: {' '.join(tail)}"
            else:
                row = ledger_row(ledger, nodeid)
                if row is None:
                    result["note"] = f"first failure {nodeid} is not a claim (no id in the ledger)"
                elif row["kind"] != "claim":
                    result["note"] = f"first failure is conjecture {row['id']} ({nodeid}), not a claim"
                else:
                    result["caught_by"] = row["id"]
                    result["detail"] = row.get("detail", "")
    finally:
        (tree / mutant.file).write_text(original, encoding="utf-8")
    if result["caught_by"]:
        # The catching test must pass without the mutant, or the catch was a pre-existing failure.
        with tempfile.TemporaryDirectory(prefix="w2v-mutant-") as folder:
            clean = subprocess.run(pytest_command([result["first_failure"]], Path(folder) / "claims.json"), cwd=tree,
                                   env=environment(tree), text=True, capture_output=True, timeout=RUN_TIMEOUT_S)
        if clean.returncode != 0:
            result["note"] = f"{result['first_failure']} fails without the mutant too: not a catch"
            result["caught_by"] = None
    return result


def table(results) -> list[str]:
    rows = [("mutant", "caught by", "seconds", "description / note")]
    for r in results:
        caught = r["caught_by"] or "NOT CAUGHT"
        text = r["description"] + (f" [{r['note']}]" if r["note"] else f" [{r['first_failure']}]")
        rows.append((r["id"], caught, "-" if r["seconds"] is None else f"{r['seconds']:.1f}", text))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows]
    lines.insert(1, "-" * min(120, len(lines[0]) + 20))
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="mutant ids to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--all-tests", action="store_true", help="run all of tests/ for every mutant, not its `tests`")
    parser.add_argument("--tests", nargs="+", metavar="PATH", help="test paths for every selected mutant")
    parser.add_argument("--test-timeout", type=float, default=TEST_TIMEOUT_S, metavar="S",
                        help=f"per-test time limit inside a mutant run (default {TEST_TIMEOUT_S} s)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy (its path is printed)")
    parser.add_argument("--verbose", action="store_true", help="print each pytest run's output")
    args = parser.parse_args(argv)
    mutants = load_mutants()
    known = {m.id: m for m in mutants}
    if len(known) != len(mutants):
        print("tests/mutants/mutants.py: mutant ids must be unique", file=sys.stderr)
        return 2
    if args.list:
        for m in mutants:
            print(f"{m.id:<28} {m.file:<28} {m.description}")
        return 0
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        print(f"unknown mutant(s) {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    selected = [known[i] for i in args.ids] if args.ids else list(mutants)
    scratch = Path(tempfile.mkdtemp(prefix="w2v-mutants-"))
    results = []
    try:
        tree = scratch_copy(scratch / "checkout")
        check_imports_from(tree)
        for mutant in selected:  # fail fast on a mutant that no longer applies, before any long run
            (tree / mutant.file).write_text(apply(mutant, tree), encoding="utf-8")
        for mutant in selected:
            print(f"mutant {mutant.id}: {mutant.description} ...", flush=True)
            result = run_mutant(mutant, tree, args.all_tests, args.verbose, args.tests, args.test_timeout)
            results.append(result)
            print(f"  -> {result['caught_by'] or 'NOT CAUGHT'} in {result['seconds']} s"
                  f"{' (' + result['note'] + ')' if result['note'] else ''}", flush=True)
    except MutantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"scratch copy kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print()
    for line in table(results):
        print(line)
    missed = [r["id"] for r in results if not r["caught_by"]]
    print(f"\n{len(results) - len(missed)} of {len(results)} mutants caught by a named claim"
          + (f"; NOT caught: {', '.join(missed)}" if missed else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({"mutants": results}, indent=2) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
