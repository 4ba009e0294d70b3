"""The mutant list stays applicable (each `old` text occurs exactly once in today's code) and the runner's
pieces behave; the mutant runs themselves are `tox -e mutants` (tests/mutants/run.py), not part of tox."""

from __future__ import annotations

import json

import pytest

from tests.mutants import run

MUTANTS = run.load_mutants()


def test_mutant_ids_are_unique_and_described():
    ids = [m.id for m in MUTANTS]
    assert len(ids) == len(set(ids))
    assert all(m.description and m.old and m.old != m.new for m in MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.id)
def test_mutant_applies_exactly_once(mutant):
    """(A mutant's `tests` may go stale as test files move: the runner then runs all of tests/, with a note.)"""
    path = run.ROOT / mutant.file
    assert path.is_file(), f"mutant {mutant.id}: no file {mutant.file}"
    found = path.read_text(encoding="utf-8").count(mutant.old)
    assert found == 1, (f"mutant {mutant.id}: its `old` text occurs {found} times in {mutant.file}; the code moved: "
                        "update tests/mutants/mutants.py")


def test_apply_refuses_text_not_found_exactly_once(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\nx = 1\n")
    twice = run.load_mutants()[0].__class__("twice", "m.py", "x = 1\n", "x = 2\n", "appears twice")
    with pytest.raises(run.MutantError, match="occurs 2 times"):
        run.apply(twice, tmp_path)
    absent = twice.__class__("absent", "m.py", "y = 1\n", "y = 2\n", "absent")
    with pytest.raises(run.MutantError, match="occurs 0 times"):
        run.apply(absent, tmp_path)
    once = twice.__class__("once", "m.py", "x = 1\nx", "x = 3\nx", "once")
    assert run.apply(once, tmp_path) == "x = 1\nx = 1\n" and (tmp_path / "m.py").read_text() == "x = 3\nx = 1\n"


def test_first_failure_is_looked_up_in_the_ledger(tmp_path):
    output = "..F\nclaims ledger\n=== short test summary info ===\nFAILED tests/a.py::test_x[p] - AssertionError: no\n" \
             "FAILED tests/b.py::test_y\n"
    assert run.first_failure(output) == "tests/a.py::test_x[p]"
    assert run.first_failure("ERROR tests/c.py - ImportError\n") == "tests/c.py"
    assert run.first_failure("3 passed\n") is None
    ledger = tmp_path / "claims.json"
    ledger.write_text(json.dumps({"claims": [{"id": "MIN1", "kind": "claim", "tests": [
        {"nodeid": "tests/a.py::test_x[p]", "status": "fail", "examples": 1}]}]}))
    assert run.ledger_row(ledger, "tests/a.py::test_x[p]")["id"] == "MIN1"
    assert run.ledger_row(ledger, "tests/b.py::test_y") is None
