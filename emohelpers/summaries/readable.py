"""Faces a verdict may rest on: those whose `quality` reaches the run's `min_quality`.

A face below it (too small, blurred, turned away, dim or doubtful to the detector; see
`analysis.quality`) keeps its row and probabilities in the emotion table, but dominant
emotions, windows, valence scores, intervals and evaluations are computed without it. A
frame whose every face is left out keeps one row with no face, so that frame counts and
timelines still show it was analysed. A face whose quality is not known (NaN: an analysis
saved before faces had one, the voice's pseudo-person) is kept. Pure functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emohelpers.analysis.table import BOX_COLUMNS, EMOTIONS
from emohelpers.core.errors import ParameterError

_FACE_FIELDS = ["face", "person", *BOX_COLUMNS, "det_prob", "quality", *EMOTIONS]


def _check(min_quality: float) -> float:
    if isinstance(min_quality, bool) or not isinstance(min_quality, int | float):
        raise ParameterError(f"min_quality={min_quality!r}: invalid; allowed: a number in [0, 1]")
    if not 0 <= min_quality <= 1:
        raise ParameterError(f"min_quality={min_quality!r}: invalid; allowed: a number in [0, 1]")
    return float(min_quality)


def unreadable(table: pd.DataFrame, min_quality: float) -> np.ndarray:
    """(rows,) bool: the table's face rows left out of verdicts at `min_quality`."""
    q = table["quality"].to_numpy(dtype=np.float64)
    return table["face"].notna().to_numpy() & (q < _check(min_quality))  # NaN: kept


def readable(table: pd.DataFrame, min_quality: float) -> pd.DataFrame:
    """The emotion table without the faces below `min_quality` (a new table; frames left
    with no face keep one face-less row). `min_quality=0` returns an equal copy."""
    out = unreadable(table, min_quality)
    if not out.any():
        return table.copy()
    kept = table.loc[~out]
    # Frames that had faces and now have none: one face-less row each, as the analysis
    # writes for a frame where no face was found.
    gone = table.loc[out].drop_duplicates("frame")
    gone = gone.loc[~gone["frame"].isin(kept["frame"])].copy()
    gone.loc[:, _FACE_FIELDS] = np.nan
    gone["emotion"] = pd.NA
    both = pd.concat([kept, gone]).astype(table.dtypes.to_dict())
    return both.sort_values(["frame", "face"], kind="stable", na_position="last").reset_index(
        drop=True
    )
