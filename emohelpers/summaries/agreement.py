"""Do face and voice agree? Per voice window, the face's dominant emotion beside the voice's.

For each window of the voice table, the face side is one person's frames whose `time_s`
falls in the window, `start_s <= time_s < end_s` (by default the main person, the one most
seen): their mean probabilities and the most probable of them (`face_emotion`). The voice
side is the window's own `emotion`. Two verdicts per window:

- `same_emotion`: the face's and the voice's dominant emotions are the same;
- `same_valence`: their valence classes (`summaries.valence`, a mapping of the seven onto
  positive / neutral / negative) are the same.

A window where nobody speaks, or where the face is not seen, is not compared: its verdicts
are missing (NA), never "disagree"; rates are over the compared windows only. Pure
functions: tables in, new tables out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.analysis.voice.table import validate_voice_table
from emohelpers.summaries.summary import main_person
from emohelpers.summaries.valence import resolve_mapping

_STR = pd.StringDtype(na_value=np.nan)

#: Columns of `agreement`, in order.
AGREEMENT_COLUMNS: tuple[str, ...] = (
    "start_s",
    "end_s",
    "voice_emotion",
    "face_emotion",
    "n_face_frames",
    "voice_valence",
    "face_valence",
    "same_emotion",
    "same_valence",
)


def face_in_windows(
    faces: pd.DataFrame, voice: pd.DataFrame, person: float | None = None
) -> pd.DataFrame:
    """One person's mean face probabilities in each voice window.

    Args:
        faces: an emotion table.
        voice: a voice table (its windows: `start_s`, `end_s`, seconds).
        person: the person whose face is read; None: the main person (most seen).

    Returns:
        One row per voice window, in its order: `start_s`, `end_s`, `n_face_frames` (frames
        of the person in the window), the seven mean probabilities and `face_emotion` (their
        argmax; NaN where the person is not seen in the window).
    """
    validate_table(faces)
    validate_voice_table(voice)
    if person is None:
        person = main_person(faces)
    rows = faces[faces["person"] == person] if not np.isnan(person) else faces.iloc[:0]
    t = rows["time_s"].to_numpy()
    p = rows[list(EMOTIONS)].to_numpy(dtype=np.float64)
    start, end = voice["start_s"].to_numpy(), voice["end_s"].to_numpy()
    inside = (t[None, :] >= start[:, None]) & (t[None, :] < end[:, None])  # (windows, rows)
    n = inside.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (inside.astype(np.float64) @ p) / n[:, None]  # NaN rows where n == 0
    top = np.asarray(EMOTIONS, dtype=object)[np.argmax(np.nan_to_num(means, nan=-1.0), axis=1)]
    return pd.DataFrame(
        {
            "start_s": start,
            "end_s": end,
            "n_face_frames": n.astype(np.int64),
            **{e: means[:, i] for i, e in enumerate(EMOTIONS)},
            "face_emotion": pd.array(np.where(n > 0, top, None), dtype=_STR),
        }
    )


def agreement(
    faces: pd.DataFrame,
    voice: pd.DataFrame,
    person: float | None = None,
    mapping: str | Mapping[str, str] = "default",
) -> pd.DataFrame:
    """Per voice window: whether the face and the voice agree.

    Args:
        faces: an emotion table.
        voice: a voice table.
        person: the person whose face is compared; None: the main person.
        mapping: the valence mapping, a preset name or a dict (see `valence.resolve_mapping`).

    Returns:
        One row per voice window with `AGREEMENT_COLUMNS`; `same_emotion` and `same_valence`
        are nullable booleans, NA where the window has no speech or no face of the person.
    """
    m = resolve_mapping(mapping)
    face = face_in_windows(faces, voice, person)
    voice_emotion = voice["emotion"].astype(object).to_numpy()
    face_emotion = face["face_emotion"].astype(object).to_numpy()
    compared = pd.notna(voice_emotion) & pd.notna(face_emotion)

    def valence(emotions: np.ndarray) -> pd.Series:
        return pd.Series([m[e] if pd.notna(e) else None for e in emotions], dtype=_STR)

    voice_val, face_val = valence(voice_emotion), valence(face_emotion)
    same_val = voice_val.to_numpy(dtype=object) == face_val.to_numpy(dtype=object)

    def verdict(same: np.ndarray) -> pd.arrays.BooleanArray:
        values = same.astype(object)
        values[~compared] = None
        return pd.array(values, dtype="boolean")

    return pd.DataFrame(
        {
            "start_s": voice["start_s"].to_numpy(),
            "end_s": voice["end_s"].to_numpy(),
            "voice_emotion": pd.array(voice_emotion, dtype=_STR),
            "face_emotion": pd.array(face_emotion, dtype=_STR),
            "n_face_frames": face["n_face_frames"].to_numpy(),
            "voice_valence": voice_val.array,
            "face_valence": face_val.array,
            "same_emotion": verdict(voice_emotion == face_emotion),
            "same_valence": verdict(same_val),
        }
    )


def agreement_rates(agreed: pd.DataFrame) -> dict[str, Any]:
    """The agreement rates of an `agreement` table, JSON-ready.

    Returns:
        `windows` (all), `speech_windows` (the voice classified), `compared` (speech and
        face), `emotion_rate` and `valence_rate` (shares of the compared windows that agree,
        in [0, 1]; None when no window could be compared).
    """
    compared = agreed["same_emotion"].notna()
    n = int(compared.sum())

    def rate(col: str) -> float | None:
        return float(agreed.loc[compared, col].astype(bool).mean()) if n else None

    return {
        "windows": len(agreed),
        "speech_windows": int(agreed["voice_emotion"].notna().sum()),
        "compared": n,
        "emotion_rate": rate("same_emotion"),
        "valence_rate": rate("same_valence"),
    }


def voice_dominant(voice: pd.DataFrame) -> str | None:
    """The voice's dominant emotion over the clip: the most frequent window emotion (ties by
    the higher mean probability, then `EMOTIONS` order); None when nobody speaks."""
    validate_voice_table(voice)
    speech = voice.dropna(subset=["emotion"])
    if speech.empty:
        return None
    counts = speech["emotion"].value_counts()
    means = speech[list(EMOTIONS)].mean()
    best = max(counts.index, key=lambda e: (counts[e], means[e], -EMOTIONS.index(e)))
    return str(best)
