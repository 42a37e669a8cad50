"""The voice table read as an emotion table: the voice is one pseudo-person, so that every
summary (windows, valence, dominant emotion, turning points) and figure accepts it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS, build_table
from emohelpers.analysis.voice.table import validate_voice_table

#: The person id the voice gets when its table is read as an emotion table.
VOICE_PERSON = 1.0


def as_emotion_table(voice: pd.DataFrame) -> pd.DataFrame:
    """The voice table as an emotion table, so that every summary (windows, valence, dominant
    emotion, turning points) accepts it: the voice is one pseudo-person.

    Row i is window i: `frame` = i, `time_s` = the window's centre, `face` = 0 and `person` =
    `VOICE_PERSON` where speech was classified, NaN (like a frame without a face) where not;
    boxes are NaN; `det_prob` is the window's `speech_prob` for speech rows.

    Returns:
        A validated emotion table (`analysis.table`), one row per voice window.
    """
    validate_voice_table(voice)
    probs = voice[list(EMOTIONS)].to_numpy(dtype=np.float64)
    speech = ~np.isnan(probs).any(axis=1)
    n = len(voice)
    return build_table(
        frame=np.arange(n),
        time_s=(voice["start_s"].to_numpy() + voice["end_s"].to_numpy()) / 2,
        face=np.where(speech, 0.0, np.nan),
        person=np.where(speech, VOICE_PERSON, np.nan),
        xyxy=np.full((n, 4), np.nan),
        det_prob=np.where(speech, voice["speech_prob"].to_numpy(), np.nan),
        probs=probs,
    )
