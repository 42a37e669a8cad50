"""Person ids as pages show them: track id 3.0 is "P3" in every report, figure and file."""

from __future__ import annotations

import math
from typing import Any


def person_label(person_id: Any) -> str:
    """`3.0` -> `"P3"`; NaN -> `"no person"`."""
    if person_id is None or (isinstance(person_id, float) and math.isnan(person_id)):
        return "no person"
    return f"P{int(person_id)}"
