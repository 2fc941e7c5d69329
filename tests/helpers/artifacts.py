"""Figures that tests measure for the closing notes and CI: one JSON file per case under artifacts/."""
from __future__ import annotations

import json
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def record(folder: str, name: str, **figures: object) -> Path:
    """Write ``figures`` to ``artifacts/<folder>/<name>.json`` (one file per case: xdist workers never share one)."""
    path = ARTIFACTS / folder / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=1, sort_keys=True))
    return path
