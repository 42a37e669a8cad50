"""Per-shot summaries: one row per shot and person, so that scenes compare without code.

A shot (the table's `shot`, between two cuts) spans `[start_s, end_s)`: from its first
analysed frame to the first analysed frame of the next shot; the last shot ends one
sampling step (the median step between analysed frames) after its last analysed frame.
Within a shot each person's dominant emotion is by vote with the summaries' tie rule
(`summary.dominant_emotion`) and their valence score the mean over their face frames of
positive minus negative probability. Frames without a face never count as any emotion; a
shot in which nobody is seen gets one row with the person empty and `n_face_frames` 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from emohelpers.core.errors import SchemaError
from emohelpers.summaries.units import person_units

#: Columns of `shot_table` (the person key's column takes the name given).
SHOT_COLUMNS: tuple[str, ...] = (
    "shot",
    "start_s",
    "end_s",
    "n_frames",
    "persons",
    "person",
    "n_face_frames",
    "dominant",
    "valence_score",
)


def shot_table(
    table: pd.DataFrame, person: str = "person", mapping: str | Mapping[str, str] = "default"
) -> pd.DataFrame:
    """The shots of one clip with each person's dominant emotion and valence in each.

    Args:
        table: one clip's emotion table (with its `shot` column).
        person: the person key column (`person`, or `name` / `corpus_person` where present).
        mapping: the valence mapping (preset name or dict).

    Returns:
        `SHOT_COLUMNS` (`person` renamed to the key's column): one row per shot and person,
        by shot then person; `shot` int64, `start_s`/`end_s` seconds, `n_frames` frames
        analysed in the shot, `persons` persons seen in it; no rows for an empty table.

    Raises:
        SchemaError: when `shot`, `time_s` or the person column is missing.
    """
    missing = [c for c in ("shot", "time_s", "frame", person) if c not in table]
    if missing:
        raise SchemaError(f"shot_table: the emotion table lacks columns {missing}")
    columns = [person if c == "person" else c for c in SHOT_COLUMNS]
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frames = table.drop_duplicates("frame").sort_values("time_s")
    times = frames["time_s"].to_numpy(np.float64)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    bounds = frames.groupby("shot")["time_s"].agg(["min", "max", "size"]).sort_index()
    ends = np.append(bounds["min"].to_numpy()[1:], bounds["max"].iloc[-1] + step)
    shots = pd.DataFrame(
        {
            "shot": bounds.index.astype(np.int64),
            "start_s": bounds["min"].to_numpy(np.float64),
            "end_s": ends.astype(np.float64),
            "n_frames": bounds["size"].to_numpy(np.int64),
        }
    )
    units = person_units(table.assign(_shot=table["shot"]), person, clip="_shot", mapping=mapping)
    units = units.rename(columns={"_shot": "shot"})
    units["shot"] = units["shot"].astype(np.int64)
    seen = units.groupby("shot")[person].nunique()
    shots["persons"] = shots["shot"].map(seen).fillna(0).astype(np.int64)
    out = shots.merge(units, on="shot", how="left")
    out["n_face_frames"] = out["n_face_frames"].fillna(0).astype(np.int64)
    return out[columns].sort_values(["shot", person], kind="stable").reset_index(drop=True)
