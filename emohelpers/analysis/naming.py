"""Names on an analysis: the `name` column and the provenance's `cast` block from a cast.

Naming needs only the saved person table (each person's face descriptor), never the video:
`load_or_analyze` and a corpus run re-name a saved analysis when the cast changed
(`names_are_current`), and re-analyse only when it has no person table.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.person_table import PERSON_DTYPES
from emohelpers.analysis.table import DTYPES, Analysis, validate_table
from emohelpers.analysis.tracking.cast import Cast, cast_key, match_cast
from emohelpers.analysis.tracking.reid import FaceEmbedder
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import AnalysisSettings

#: The provenance block that records the cast a table's names come from.
CAST_BLOCK = "cast"


def wanted_cast(settings: AnalysisSettings) -> dict[str, Any]:
    """What a saved analysis's `cast` block must say for its names to be reused: the cast
    photos and their sha256 and the distance (no cast: both None).

    Raises:
        CastError: the cast folder is missing or badly laid out.
    """
    folder = settings.tracker.cast
    return {
        "key": cast_key(folder),
        "max_distance": settings.tracker.cast_max_distance if folder else None,
    }


def recorded_cast(analysis: Analysis) -> dict[str, Any]:
    """The saved analysis's cast, as `wanted_cast` says it (saved before casts: none)."""
    block = analysis.provenance.extra.get(CAST_BLOCK)
    block = block if isinstance(block, dict) else {}
    return {"key": block.get("key"), "max_distance": block.get("max_distance")}


def names_are_current(saved: Analysis, settings: AnalysisSettings) -> bool:
    """Whether `saved`'s names come from the cast `settings` ask for (or none from none)."""
    return recorded_cast(saved) == wanted_cast(settings)


def load_cast(settings: AnalysisSettings) -> Cast | None:
    """The cast `settings` name, enrolled with a face detector and dlib's descriptor built
    for it (no expression classifier); None for no cast. A run of many clips calls it once
    first, to fail before any clip.

    Raises:
        CastError: a bad cast folder, an unreadable photo or one without a face.
    """
    if settings.tracker.cast is None:
        return None
    # torch and dlib load here, in a run that names persons
    from emohelpers.analysis.detect import FaceDetector
    from emohelpers.analysis.tracking.cast import enrol_cast

    return enrol_cast(settings.tracker.cast, FaceDetector(settings.detector), FaceEmbedder())


def name_analysis(analysis: Analysis, cast: Cast | None, max_distance: float) -> Analysis:
    """`analysis` with its persons named from `cast` (None: nobody named).

    Sets the table's `name` column, the person table's `name` and the provenance's `cast`
    block (folder, photos and their sha256, distance, each named person's distance).

    Raises:
        ParameterError: a cast is given but the analysis has no person table (it was made
            without re-identification).
    """
    persons = analysis.persons
    if cast is not None and persons is None:
        raise ParameterError(
            "a cast names persons by their face descriptors, which this analysis lacks "
            "(made with re-identification off); analyse again without --no-reid"
        )
    matched = (
        match_cast(persons, cast, max_distance) if cast is not None and persons is not None else {}
    )
    names = {p: n for p, (n, _) in matched.items()}
    person = analysis.table["person"]
    column = person.map(lambda p: names.get(int(p)) if not np.isnan(p) else None)
    table = analysis.table.assign(name=pd.array(column.tolist(), dtype=DTYPES["name"]))
    validate_table(table)
    if persons is not None:
        persons = persons.assign(
            name=pd.array([names.get(int(p)) for p in persons["person"]], PERSON_DTYPES["name"])
        )
    block = {
        "folder": None if cast is None else str(cast.folder),
        "key": None if cast is None else cast.key,
        "max_distance": None if cast is None else float(max_distance),
        "method": None if cast is None else FaceEmbedder.name,
        "enrolled": None if cast is None else sorted(set(cast.names)),
        "named": {str(p): {"name": n, "distance": round(d, 4)} for p, (n, d) in matched.items()},
    }
    prov = analysis.provenance.with_extra(**{CAST_BLOCK: block})
    return replace(analysis, table=table, persons=persons, provenance=prov)
