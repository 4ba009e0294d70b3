"""The README's claims and conjectures tables, rendered from the registry so that they cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

from sims.claims.registry import all_claims
from theory.tolerances import tolerance

CLAIMS_BLOCK = "claims"
CONJECTURES_BLOCK = "conjectures"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def claims_table() -> str:
    """Every registered claim: id, statement, source, tolerance (value and name), by THEORY section."""
    lines = ["| id | statement | source | tolerance |", "|---|---|---|---|"]
    for claim in all_claims("claim"):
        lines.append(f"| `{claim.id}` | {_cell(claim.statement)} | {_cell(claim.source)} | "
                     f"{tolerance(claim.tolerance).value:g} (`{claim.tolerance}`) |")
    return "\n".join(lines)


def conjectures_table(expected: dict) -> str:
    """Every registered conjecture with the outcome the expected-outcome map records for it
    (tests/conjectures/expected.py: id -> an object with `outcome` and `reason`)."""
    lines = ["| id | conjecture | outcome (every Hypothesis profile) |", "|---|---|---|"]
    for conjecture in all_claims("conjecture"):
        entry = expected.get(conjecture.id)
        outcome = f"**{entry.outcome}**: {_cell(entry.reason)}" if entry else "not in the outcome map"
        lines.append(f"| `{conjecture.id}` | {_cell(conjecture.statement)} | {outcome} |")
    return "\n".join(lines)


def _pattern(block: str) -> re.Pattern:
    return re.compile(rf"(<!-- {block}:begin -->\n)(.*?)(<!-- {block}:end -->)", re.S)


def read_block(text: str, block: str) -> str | None:
    """The generated block `block` of a README text, or None when its markers are missing."""
    match = _pattern(block).search(text)
    return None if match is None else match.group(2).removesuffix("\n")


def replace_block(text: str, block: str, content: str) -> str:
    """`text` with block `block` replaced by `content` (ValueError when the markers are missing)."""
    if _pattern(block).search(text) is None:
        raise ValueError(f"no <!-- {block}:begin --> ... <!-- {block}:end --> markers")
    return _pattern(block).sub(lambda m: m.group(1) + content + "\n" + m.group(3), text)


def update_readme(path: Path, expected: dict) -> bool:
    """Rewrite both tables in the README at `path`; return whether anything changed."""
    text = Path(path).read_text()
    new = replace_block(replace_block(text, CLAIMS_BLOCK, claims_table()), CONJECTURES_BLOCK,
                        conjectures_table(expected))
    if new != text:
        Path(path).write_text(new)
    return new != text
