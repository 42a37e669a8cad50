"""`key_figures.json`: the numbers a clip's report rests on, beside the report.

The report notebook writes it whole (never half a file: the runner reads it when the clip
succeeds, the index and tests after); a missing or unreadable file reads as None.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emohelpers.core.atomic import atomic_write_json

KEY_FIGURES_FILE = "key_figures.json"


def write_key_figures(folder: str | Path, figures: Mapping[str, Any]) -> Path:
    """Write `folder/key_figures.json` (JSON, non-JSON values as text); return its path."""
    return atomic_write_json(Path(folder) / KEY_FIGURES_FILE, dict(figures))


def read_key_figures(folder: str | Path) -> dict[str, Any] | None:
    """`folder/key_figures.json`, or None when it is missing or unreadable."""
    try:
        data = json.loads((Path(folder) / KEY_FIGURES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
