"""The conjecture outcome map (tests/conjectures/expected.py, read by sims/claims/ledger.py) and the test
time limit: a flip fails either way, an unmapped conjecture fails, a matching map passes; a stalled test
fails with a message (never a pass, never a refuted conjecture) and the run still writes its ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sims.claims import ledger

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = '''pytest_plugins = ["sims.claims.ledger"]
def pytest_configure(config):
    config.addinivalue_line("markers", "claim(id)")
    config.addinivalue_line("markers", "conjecture(statement)")
'''

CONJECTURES = '''
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.conjecture("all floats are small", id="C-SMALL")
@settings(max_examples=50, derandomize=True, database=None)
@given(x=st.floats(0.0, 10.0))
def test_refuted(x):
    assert x < 5

@pytest.mark.conjecture("true", id="C-TRUE")
def test_holds():
    assert True
'''


def expected_map(**outcomes) -> str:
    entries = ", ".join(f"{cid.replace('_', '-')!r}: Expected({outcome!r}, 'because {cid}')"
                        for cid, outcome in outcomes.items())
    return f"from sims.claims.ledger import Expected\nEXPECTED = {{{entries}}}\n"


def run(pytester, expected: str | None, *args):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_conjectures=CONJECTURES)
    options = []
    if expected is not None:
        pytester.makepyfile(expected=expected)
        options = ["-o", "conjecture_map=expected.py"]
    path = pytester.path / "ledger.json"
    result = pytester.runpytest("-p", "no:cacheprovider", "--claims-json", str(path), *options, *args)
    return result, {row["id"]: row for row in json.loads(path.read_text())["claims"]}


def test_matching_map_passes(pytester):
    result, rows = run(pytester, expected_map(C_SMALL="refuted", C_TRUE="holds"))
    result.assert_outcomes(passed=1, xfailed=1)
    assert rows["C-SMALL"]["expected"] == "refuted" and not rows["C-SMALL"]["flipped"]
    assert rows["C-TRUE"]["expected"] == "holds" and not rows["C-TRUE"]["flipped"]


def test_no_map_configured_keeps_the_old_behaviour(pytester):
    result, rows = run(pytester, None)
    result.assert_outcomes(passed=1, xfailed=1)
    assert "expected" not in rows["C-TRUE"] and rows["C-TRUE"]["status"] == "holds"


def test_planted_flip_refuted_to_holds_fails(pytester):
    result, rows = run(pytester, expected_map(C_SMALL="refuted", C_TRUE="refuted"))
    result.assert_outcomes(failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*conjecture C-TRUE flipped: the map says refuted (because C_TRUE) but it held "
                                 "under Hypothesis profile *", "*C-TRUE*conjecture*holds*", "*-> flipped*"])
    assert rows["C-TRUE"]["flipped"] and rows["C-TRUE"]["status"] == "holds"


def test_planted_flip_holds_to_refuted_fails(pytester):
    result, rows = run(pytester, expected_map(C_SMALL="holds", C_TRUE="holds"))
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*conjecture C-SMALL flipped: the map says holds (because C_SMALL) but it was "
                                 "refuted under Hypothesis profile *",
                                 "*assert*< 5*"])  # the refuting failure itself is still shown
    assert rows["C-SMALL"]["flipped"] and rows["C-SMALL"]["status"] == "refuted"


def test_unmapped_conjecture_fails(pytester):
    result, rows = run(pytester, expected_map(C_SMALL="refuted"))
    result.assert_outcomes(failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*conjecture C-TRUE is not in the conjecture map: add it to expected.py*"])
    assert rows["C-TRUE"]["flipped"]


def test_map_entries_need_a_known_outcome_and_a_reason():
    with pytest.raises(ValueError, match="outcome"):
        ledger.Expected("maybe", "why")
    with pytest.raises(ValueError, match="reason"):
        ledger.Expected("holds", " ")


STALLS = '''
import time
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.claim("STALL")
@settings(max_examples=20, derandomize=True, database=None, deadline=None)
@given(x=st.integers(0, 10))
def test_stalls(x):
    while x >= 3:
        time.sleep(0.01)

@pytest.mark.conjecture("never stalls", id="C-STALL")
def test_conjecture_stalls():
    while True:
        time.sleep(0.01)

def test_after():
    pass
'''


def test_stalled_test_fails_with_a_message_and_the_run_goes_on(pytester):
    pytest.importorskip("pytest_timeout")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_stalls=STALLS, expected=expected_map(C_STALL="refuted"))
    path = pytester.path / "ledger.json"
    result = pytester.runpytest("-p", "no:cacheprovider", "--claims-json", str(path), "-o", "timeout=1",
                                "-o", "timeout_method=signal", "-o", "conjecture_map=expected.py")
    # Hypothesis neither shrinks nor replays the stalled example (which would stall again), and a stalled
    # conjecture is a failure even though the map says refuted: it answered nothing.
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*TestTimeout: stalled: ran past the per-test time limit of 1 s*so "
                                 "test_stalls.py::test_stalls fails; it was running the Hypothesis example x=*"])
    rows = {row["id"]: row for row in json.loads(path.read_text())["claims"]}
    assert rows["STALL"]["status"] == "fail" and rows["STALL"]["detail"].startswith("stalled: ran past")
    assert rows["C-STALL"]["status"] == "fail"


def _collected_conjecture_ids(pytester) -> tuple[set, list]:
    class Recorder:
        ids: set = set()
        errors: list = []

        def pytest_collection_finish(self, session):
            for item in session.items:
                entry = ledger._entry_for(item)
                if entry is not None and entry.kind == "conjecture":
                    self.ids.add(entry.claim_id)

        def pytest_collectreport(self, report):
            if report.failed:
                self.errors.append(report.nodeid)

    recorder = Recorder()
    pytester.inline_run(str(ROOT / "tests"), "--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
                        "-c", str(ROOT / "pyproject.toml"), "--continue-on-collection-errors", plugins=[recorder])
    return recorder.ids, recorder.errors


def test_the_map_covers_exactly_the_conjectures_under_tests(pytester):
    from tests.conjectures.expected import EXPECTED

    ids, errors = _collected_conjecture_ids(pytester)
    note = f" (test files that failed to collect: {errors})" if errors else ""
    assert ids, "no conjecture collected under tests/" + note
    assert not ids - set(EXPECTED), f"conjectures missing from tests/conjectures/expected.py: {sorted(ids - set(EXPECTED))}"
    assert not set(EXPECTED) - ids, f"map entries for no collected conjecture: {sorted(set(EXPECTED) - ids)}" + note
