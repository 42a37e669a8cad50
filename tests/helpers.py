"""Shared test helpers: synthetic emotion tables built through `build_table`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS, build_table

Probs = Mapping[str, float] | str | None
Row = tuple[int, float, Any, Probs]


def probs_vector(probs: Probs) -> np.ndarray:
    """(7,) probabilities in `EMOTIONS` order from a dict, an emotion name (one-hot) or None.

    A dict may name only some emotions; the others are 0. None gives a NaN row (no face).
    """
    if probs is None:
        return np.full(len(EMOTIONS), np.nan)
    if isinstance(probs, str):
        probs = {probs: 1.0}
    unknown = set(probs) - set(EMOTIONS)
    if unknown:
        raise ValueError(f"unknown emotions {sorted(unknown)}")
    return np.array([float(probs.get(e, 0.0)) for e in EMOTIONS])


def make_table(rows: Iterable[Row]) -> pd.DataFrame:
    """A validated emotion table from `(frame, time_s, person, probs)` rows.

    Args:
        rows: one tuple per table row, sorted by frame. `person` is a track id, or None for
            a frame without a face (then `probs` must be None too). `probs` is a dict
            `{emotion: p}` (missing emotions are 0), an emotion name (probability 1) or None.
            Faces of one frame get face indices 0, 1, ... in the order given.

    Returns:
        The emotion table (`build_table` output).
    """
    rows = list(rows)
    n = len(rows)
    frame = np.array([r[0] for r in rows], dtype=np.int64)
    time_s = np.array([r[1] for r in rows], dtype=np.float64)
    person = np.array([np.nan if r[2] is None else float(r[2]) for r in rows])
    probs = np.array([probs_vector(r[3]) for r in rows]).reshape(n, len(EMOTIONS))
    has_face = ~np.isnan(person)
    face = np.full(n, np.nan)
    seen: dict[int, int] = {}
    for i in np.flatnonzero(has_face):
        face[i] = seen.get(int(frame[i]), 0)
        seen[int(frame[i])] = int(face[i]) + 1
    xyxy = np.where(has_face[:, None], np.array([10.0, 10.0, 60.0, 70.0]), np.nan)
    det_prob = np.where(has_face, 0.99, np.nan)
    return build_table(frame, time_s, face, person, xyxy, det_prob, probs)


def steady_rows(
    person: Any, emotions: Iterable[Probs], fps: float = 4.0, start_frame: int = 0
) -> list[Row]:
    """Rows of one person, one frame each at `fps`, with the given probabilities in turn."""
    return [
        (start_frame + i, (start_frame + i) / fps, None if p is None else person, p)
        for i, p in enumerate(emotions)
    ]


def two_persons_table() -> pd.DataFrame:
    """The shared hand-computed case: persons 1 and 2 in frames 0-1 (t 0, 0.5), two frames
    without a face (t 1, 1.5), person 1 again at t 4.

    P1: happy, happy .4 / neutral .6, angry .5 / fear .5; P2: sad, sad.
    """
    return make_table(
        [
            (0, 0.0, 1, "happy"),
            (0, 0.0, 2, "sad"),
            (1, 0.5, 1, {"happy": 0.4, "neutral": 0.6}),
            (1, 0.5, 2, "sad"),
            (2, 1.0, None, None),
            (3, 1.5, None, None),
            (8, 4.0, 1, {"angry": 0.5, "fear": 0.5}),
        ]
    )


def rows_as_tuples(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    """Rows as tuples, NaN -> None, floats rounded to 1e-9, for exact comparison."""

    def norm(v):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        return round(float(v), 9) if isinstance(v, float | np.floating) else v

    return [tuple(norm(v) for v in r) for r in df[cols].itertuples(index=False)]
