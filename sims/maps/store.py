"""The cell store: one JSON file per finished cell under OUT/.cells/MAP_ID/, each written atomically, kept across runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sims.io import json_text

__all__ = ["CELLS_DIR", "CellStore"]

# Lives in the output folder itself, not in the staging folder: an interrupted map resumes from it,
# and a rerun with a finer grid reuses every cell whose parameter values it already has.
CELLS_DIR = ".cells"


class CellStore:
    """Finished cells of one map, keyed by `sims.maps.cells.cell_key` (created on the first save)."""

    def __init__(self, out, map_id: str):
        self.folder = Path(out) / CELLS_DIR / map_id

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str) -> dict | None:
        """The stored record, or None when missing or unreadable (then the cell is simply run again)."""
        try:
            record = json.loads(self.path(key).read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and record.get("key") == key else None

    def save(self, record: dict) -> None:
        """Write one record: a temporary file in the same folder, then an atomic rename."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.path(record["key"])
        temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        temporary.write_text(json_text(record))
        os.replace(temporary, final)

    def count(self) -> int:
        return len(list(self.folder.glob("*.json"))) if self.folder.is_dir() else 0
