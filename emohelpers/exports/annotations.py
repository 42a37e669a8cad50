"""What annotation files show, from an analysis: each person's dominant emotion per time
window, the shots and the voice, as plain interval lists (seconds), shared by the ELAN and
the subtitle writers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from emohelpers.analysis.table import Analysis
from emohelpers.core.errors import ParameterError
from emohelpers.core.persons import labels_of
from emohelpers.summaries.summary import windows


@dataclass(frozen=True)
class Interval:
    """One annotation: `[start_s, end_s)` with its text."""

    start_s: float
    end_s: float
    value: str


def person_tiers(table: pd.DataFrame, window_s: float) -> dict[str, list[Interval]]:
    """Person label ("P1", "Candidate A (P2)") -> the dominant emotion (by vote) of each
    window of `window_s` seconds in which that person's face was seen, in time order.

    Raises:
        ParameterError: for a window that is not a positive number of seconds.
    """
    if not (isinstance(window_s, int | float) and window_s > 0):
        raise ParameterError(f"window_s={window_s!r}: invalid; allowed: seconds > 0")
    labels = labels_of(table)
    summary = windows(table, window_s=window_s)
    summary = summary[summary["person"].notna() & summary["dominant_vote"].notna()]
    out: dict[str, list[Interval]] = {labels[p]: [] for p in sorted(labels)}
    for row in summary.itertuples():
        out[labels[float(row.person)]].append(
            Interval(float(row.window_start_s), float(row.window_end_s), str(row.dominant_vote))
        )
    return out


def _frame_step_s(times: np.ndarray) -> float:
    steps = np.diff(np.unique(times))
    return float(np.median(steps)) if len(steps) else 0.04


def shot_intervals(table: pd.DataFrame) -> list[Interval]:
    """One interval per shot: from its first analysed frame to the next shot's first (the
    last one: its last frame plus one frame step)."""
    if table.empty:
        return []
    times = table["time_s"].to_numpy(np.float64)
    shot = table["shot"].to_numpy(np.int64)
    starts = {int(s): float(times[shot == s].min()) for s in np.unique(shot)}
    order = sorted(starts)
    end = float(times.max()) + _frame_step_s(times)
    return [
        Interval(starts[s], starts[order[i + 1]] if i + 1 < len(order) else end, f"shot {s}")
        for i, s in enumerate(order)
    ]


def voice_intervals(voice: pd.DataFrame | None) -> list[Interval]:
    """The voice table's windows with speech, each with its emotion (none without voice)."""
    if voice is None or voice.empty:
        return []
    speech = voice[voice["emotion"].notna()]
    return [Interval(float(r.start_s), float(r.end_s), str(r.emotion)) for r in speech.itertuples()]


def analysis_tiers(analysis: Analysis, window_s: float) -> dict[str, list[Interval]]:
    """Every tier of an analysis: the persons', then "shots", then "voice" (when analysed)."""
    tiers = person_tiers(analysis.table, window_s)
    tiers["shots"] = shot_intervals(analysis.table)
    if analysis.voice is not None:
        tiers["voice"] = voice_intervals(analysis.voice)
    return tiers
