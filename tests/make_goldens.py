"""Regenerate tests/goldens/*.json from the parser — ONLY after checking every
changed cell by hand against the printed report (git diff tests/goldens).

    .venv/bin/python tests/make_goldens.py
"""

from __future__ import annotations

import json
from pathlib import Path

from parsers import parse_path

HERE = Path(__file__).parent
INPUTS = sorted((HERE / "fixtures" / "seeds").glob("*.txt")) + sorted(
    p for p in (HERE / "fixtures" / "real-reports").iterdir() if p.suffix in (".txt", ".pdf")
)


def golden_path(source: Path) -> Path:
    return HERE / "goldens" / f"{source.parent.name}__{source.stem}.json"


def record_for_golden(source: Path) -> dict:
    record = parse_path(source)
    record["source"] = source.name
    return record


if __name__ == "__main__":
    for source in INPUTS:
        golden_path(source).write_text(
            json.dumps(record_for_golden(source), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print("wrote", golden_path(source).name)
