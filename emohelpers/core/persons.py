"""Person ids as pages show them: track id 3.0 is "P3" in every report, figure and file, and
"Candidate A (P3)" where a cast names that person."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def person_label(person_id: Any, name: Any = None) -> str:
    """`3.0` -> `"P3"`; with a name: `"Candidate A (P3)"`; NaN -> `"no person"`."""
    if _missing(person_id):
        return "no person"
    label = f"P{int(person_id)}"
    if _missing(name) or not str(name).strip() or str(name) == "<NA>":
        return label
    return f"{name} ({label})"


def person_names(table: Any) -> dict[float, str]:
    """Person id -> name of the named persons of an emotion table (no `name` column: none)."""
    if "name" not in getattr(table, "columns", ()):
        return {}
    named = table[["person", "name"]].dropna().drop_duplicates("person")
    return {float(p): str(n) for p, n in zip(named["person"], named["name"], strict=True)}


def labels_of(table: Any) -> Mapping[float, str]:
    """Person id -> its label (`person_label` with the table's names) for every person."""
    names = person_names(table)
    ids = [] if "person" not in getattr(table, "columns", ()) else table["person"].dropna().unique()
    return {float(p): person_label(p, names.get(float(p))) for p in ids}
