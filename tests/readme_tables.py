"""Rewrite the README's claims and conjectures tables from the registry: python tests/readme_tables.py."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from sims.claims.readme import update_readme
    from tests.conjectures.expected import EXPECTED

    changed = update_readme(README, EXPECTED)
    print(f"{README}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
