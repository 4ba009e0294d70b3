"""`w2v-theory claims`: runs the claim tests through pytest and reports the ledger; clear error without tests/."""

from __future__ import annotations

import json
import subprocess
import sys

import sims
from sims.cli import main


def test_claims_command_reports_the_selected_claim_as_json():
    completed = subprocess.run([sys.executable, "-m", "sims.cli", "claims", "--json", "-k", "M1-k"],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    rows = {row["id"]: row for row in payload["claims"]}
    assert list(rows) == ["M1-k"], "-k selects by claim id"
    assert rows["M1-k"]["status"] == "pass" and rows["M1-k"]["examples"] >= 1
    assert payload["hypothesis_profile"] == "ci"


def test_claims_command_without_a_checkout_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sims, "__file__", str(tmp_path / "site-packages" / "sims" / "__init__.py"))
    monkeypatch.chdir(tmp_path)
    assert main(["claims"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot find the test suite" in err


def test_claims_command_with_no_match_is_a_one_line_error(capsys):
    assert main(["claims", "-k", "NO-SUCH-CLAIM-ID"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no claim or conjecture matched" in err
