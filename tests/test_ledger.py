"""The claims ledger plugin: statuses, xfail-like refuted conjectures, examples counted, worst error, JSON."""

from __future__ import annotations

import json

EXAMPLE = '''
import pytest
from hypothesis import given, settings, strategies as st
from sims.claims.recording import assert_within

@pytest.mark.claim("GOOD", source="here")
@settings(max_examples=7, derandomize=True, database=None)
@given(x=st.floats(0.0, 1.0))
def test_good(x):
    """x stays in [0, 1]."""
    assert_within(x * 1e-9, "identity", what="x scaled")

@pytest.mark.claim("BAD")
def test_bad():
    """one is two."""
    assert_within(1.0, "identity", predicted=2.0, measured=1.0, problem="P(n=1)", what="one vs two")

@pytest.mark.conjecture("all floats are small", rationale="why not", id="C-SMALL")
@settings(max_examples=50, derandomize=True, database=None)
@given(x=st.floats(0.0, 10.0))
def test_refuted(x):
    assert x < 5

@pytest.mark.conjecture("strict and false", strict=True, id="C-STRICT")
def test_strict():
    assert False, "no"

@pytest.mark.conjecture("true", id="C-TRUE")
def test_holds():
    assert True

def test_not_a_claim():
    pass
'''


def test_ledger_statuses_and_json(pytester):
    pytester.makeconftest('pytest_plugins = ["sims.claims.ledger"]\n'
                          'def pytest_configure(config):\n'
                          '    config.addinivalue_line("markers", "claim(id)")\n'
                          '    config.addinivalue_line("markers", "conjecture(statement)")\n')
    pytester.makepyfile(test_example=EXAMPLE)
    path = pytester.path / "ledger.json"
    result = pytester.runpytest("-p", "no:cacheprovider", "--claims-json", str(path))
    # BAD and the strict conjecture gate; the refuted non-strict conjecture is an xfail.
    result.assert_outcomes(passed=3, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["*claims ledger*", "*BAD*claim*fail*one is two*", "*C-SMALL*conjecture*refuted*"])
    result.stdout.fnmatch_lines(["*claim BAD: one is two*", "*problem:   P(n=1)*", "*tolerance 'identity'*"])
    rows = {row["id"]: row for row in json.loads(path.read_text())["claims"]}
    assert set(rows) == {"GOOD", "BAD", "C-SMALL", "C-STRICT", "C-TRUE"}
    assert [rows[i]["status"] for i in ("GOOD", "BAD", "C-SMALL", "C-STRICT", "C-TRUE")] == [
        "pass", "fail", "refuted", "refuted", "holds"]
    assert rows["GOOD"]["examples"] >= 7 and rows["BAD"]["examples"] == 1
    assert rows["GOOD"]["worst"]["ratio"] <= 1.0 and rows["BAD"]["worst"]["ratio"] > 1e8
    assert rows["C-SMALL"]["rationale"] == "why not" and rows["C-STRICT"]["strict"] is True
    assert rows["GOOD"]["statement"] == "x stays in [0, 1]."
