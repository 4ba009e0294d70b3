"""The README's claims and conjectures tables are the registry's and the outcome map's, never hand-kept."""

from __future__ import annotations

from pathlib import Path

from sims.claims.readme import CLAIMS_BLOCK, CONJECTURES_BLOCK, claims_table, conjectures_table, read_block
from tests.conjectures.expected import EXPECTED

README = Path(__file__).resolve().parent.parent / "README.md"
HOW = "run `python tests/readme_tables.py` to regenerate it"


def test_claims_table_is_generated_from_the_registry():
    assert read_block(README.read_text(), CLAIMS_BLOCK) == claims_table(), f"README claims table is stale: {HOW}"


def test_conjectures_table_is_generated_from_the_outcome_map():
    assert read_block(README.read_text(), CONJECTURES_BLOCK) == conjectures_table(EXPECTED), (
        f"README conjectures table is stale: {HOW}")
