"""A clip's strongest moments: per person and emotion, the frames where it peaks.

The one home of moment-picking: the report's radars and detail frame, the highlight reels,
the explanations and the explorer all call `strongest_moments`. A pure function: the emotion
table in, a new DataFrame out.

Rules: only faces with a track id count. Per (person, emotion) the candidates are that
person's face rows, strongest first; a tie goes to the earliest frame (then the lower face
index). Candidates are taken in that order, skipping one that lies less than
`min_spacing_s` from a moment already taken for the same person and emotion, or, with
`span_s`, whose segment would overlap the segment of one already taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table import BOX_COLUMNS, EMOTIONS, validate_table
from emohelpers.core.errors import ParameterError

#: Columns of `strongest_moments`, in order.
MOMENT_COLUMNS: tuple[str, ...] = (
    "person",
    "emotion",
    "frame",
    "time_s",
    "probability",
    *BOX_COLUMNS,
    "rank",
    "start_s",
    "end_s",
)
_EPS = 1e-9


def _check(n, min_spacing_s, span_s, per_person, min_prob, emotions) -> None:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ParameterError(f"n={n!r}: must be an integer >= 1")
    if not (isinstance(min_spacing_s, int | float) and math.isfinite(min_spacing_s)):
        raise ParameterError(f"min_spacing_s={min_spacing_s!r}: must be a number >= 0")
    if min_spacing_s < 0:
        raise ParameterError(f"min_spacing_s={min_spacing_s!r}: must be a number >= 0")
    if span_s is not None and not (
        isinstance(span_s, int | float) and math.isfinite(span_s) and span_s > 0
    ):
        raise ParameterError(f"span_s={span_s!r}: must be a number > 0, or None")
    if per_person is not None and (
        isinstance(per_person, bool) or not isinstance(per_person, Integral) or per_person < 1
    ):
        raise ParameterError(f"per_person={per_person!r}: must be an integer >= 1, or None")
    if min_prob is not None and not (isinstance(min_prob, int | float) and 0 <= min_prob <= 1):
        raise ParameterError(f"min_prob={min_prob!r}: must be a number in [0, 1], or None")
    for emotion in emotions:
        if emotion not in EMOTIONS:
            raise ParameterError(f"emotion={emotion!r}: expected one of {list(EMOTIONS)}")


def _segment(t: float, span_s: float | None, end_s: float) -> tuple[float, float]:
    """`span_s` seconds centred on `t`, shifted to fit `[0, end_s]`; (t, t) without a span."""
    if span_s is None:
        return t, t
    start = min(max(0.0, t - span_s / 2), max(0.0, end_s - span_s))
    return start, min(end_s, start + span_s)


def _pick(
    times: np.ndarray, n: int, min_spacing_s: float, span_s: float | None, end_s: float
) -> list[tuple[int, float, float]]:
    """Indices (in ranked order) of the moments taken, with their segments."""
    taken: list[tuple[int, float, float]] = []
    for i, t in enumerate(times):
        start, stop = _segment(float(t), span_s, end_s)
        if any(abs(t - times[j]) < min_spacing_s - _EPS for j, _, _ in taken):
            continue
        if span_s is not None and any(start < b and a < stop for _, a, b in taken):
            continue
        taken.append((i, start, stop))
        if len(taken) == n:
            break
    return taken


def strongest_moments(
    table: pd.DataFrame,
    *,
    n: int = 1,
    min_spacing_s: float = 0.0,
    span_s: float | None = None,
    duration_s: float | None = None,
    persons: Sequence[float] | None = None,
    emotions: Sequence[str] = EMOTIONS,
    min_prob: float | None = None,
    per_person: int | None = None,
) -> pd.DataFrame:
    """Per person and emotion, the `n` frames where that emotion peaks (rules in the docs).

    Args:
        table: the emotion table (not modified).
        n: at most this many moments per (person, emotion), >= 1.
        min_spacing_s: moments of one person and emotion lie at least this far apart, s.
        span_s: give each moment a segment of this many seconds, centred on it and shifted
            to fit `[0, duration_s]`; segments of one person and emotion never overlap.
        duration_s: the video's duration, s (default: the last analysed time plus
            `span_s / 2`).
        persons: only these track ids, in this order (default: all, by id).
        emotions: only these emotions, in this order (default: all seven).
        min_prob: keep moments whose probability is strictly above this (default: all).
        per_person: keep at most this many moments per person, the most probable (ties: the
            order of `emotions`, then rank).

    Returns:
        `MOMENT_COLUMNS`: `person` (float), `emotion`, `rank` (0 for the strongest), `frame`
        (int64), `time_s`, `probability`, the face box `x1, y1, x2, y2` and the segment
        `start_s`, `end_s` (both `time_s` without `span_s`); sorted by person (as given),
        emotion (as given) and rank. Empty when no person is seen.

    Raises:
        ParameterError: for an unknown emotion or an invalid number.
    """
    _check(n, min_spacing_s, span_s, per_person, min_prob, emotions)
    validate_table(table)
    faces = table.loc[table["face"].notna() & table["person"].notna()]
    order = list(persons) if persons is not None else sorted(faces["person"].unique())
    last = float(table["time_s"].max()) if len(table) else 0.0
    end_s = duration_s if duration_s is not None else last + (span_s or 0.0) / 2
    records = []
    for person in order:
        rows = faces.loc[faces["person"] == float(person)]
        if rows.empty:
            continue
        mine: list[dict[str, Any]] = []
        for e_rank, emotion in enumerate(emotions):
            ranked = rows.sort_values(
                [emotion, "frame", "face"], ascending=[False, True, True], kind="stable"
            )
            if min_prob is not None:
                ranked = ranked.loc[ranked[emotion] > min_prob]
            times = ranked["time_s"].to_numpy(dtype=np.float64)
            for rank, (i, start, stop) in enumerate(_pick(times, n, min_spacing_s, span_s, end_s)):
                r = ranked.iloc[i]
                moment: dict[str, Any] = {"person": float(person), "emotion": emotion}
                moment.update(frame=int(r["frame"]), time_s=float(r["time_s"]))
                moment["probability"] = float(r[emotion])
                moment.update({c: float(r[c]) for c in BOX_COLUMNS})
                moment.update(rank=rank, start_s=start, end_s=stop, _e=e_rank)
                mine.append(moment)
        if per_person is not None:
            strongest = sorted(mine, key=lambda m: (-m["probability"], m["_e"], m["rank"]))
            mine = sorted(strongest[:per_person], key=lambda m: (m["_e"], m["rank"]))
        records += mine
    out = pd.DataFrame.from_records(records, columns=[*MOMENT_COLUMNS, "_e"]).drop(columns="_e")
    return out.astype(
        {
            "person": "float64",
            "emotion": object,
            "rank": "int64",
            "frame": "int64",
            "time_s": "float64",
            "probability": "float64",
            "start_s": "float64",
            "end_s": "float64",
            **{c: "float64" for c in BOX_COLUMNS},
        }
    )
