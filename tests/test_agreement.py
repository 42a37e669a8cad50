"""Face-voice agreement on small synthetic tables whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.table import build_voice_table, empty_voice_table
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.summaries.agreement import (
    AGREEMENT_COLUMNS,
    agreement,
    agreement_rates,
    face_in_windows,
    voice_dominant,
)
from tests.helpers import make_table, probs_vector


def voice_table(windows):
    """A voice table from `(start_s, end_s, probs)`; probs None = no speech."""
    start = np.array([w[0] for w in windows], float)
    end = np.array([w[1] for w in windows], float)
    probs = np.array([probs_vector(w[2]) for w in windows]).reshape(len(windows), 7)
    speech = np.where(np.isnan(probs).any(axis=1), 0.1, 0.9)
    return build_voice_table(start, end, speech, probs)


# Faces: person 1 at 2 frames/s for 4 s (happy, then sad from 2 s); person 2 only in [0, 1).
FACES = make_table(
    [
        (0, 0.0, 1, "happy"),
        (0, 0.0, 2, "angry"),
        (1, 0.5, 1, {"happy": 0.6, "neutral": 0.4}),
        (1, 0.5, 2, "angry"),
        (2, 1.0, 1, "happy"),
        (3, 1.5, 1, "happy"),
        (4, 2.0, 1, "sad"),
        (5, 2.5, 1, "sad"),
        (6, 3.0, None, None),
        (7, 3.5, None, None),
    ]
)

# Voice: four 1 s windows: happy (agrees), surprise (same valence as happy: positive),
# fear (face sad: same negative valence, other emotion), a window without speech; and one
# window at 3..4 s with speech where the face is not seen.
VOICE = voice_table(
    [
        (0.0, 1.0, "happy"),
        (1.0, 2.0, "surprise"),
        (2.0, 3.0, "fear"),
        (2.5, 3.5, None),
        (3.0, 4.0, "angry"),
    ]
)


def test_face_in_windows_means_and_counts():
    face = face_in_windows(FACES, VOICE)  # main person: 1 (6 frames) over 2 (2 frames)
    assert face["n_face_frames"].tolist() == [2, 2, 2, 1, 0]
    assert face.loc[0, "happy"] == pytest.approx(0.8) and face.loc[0, "neutral"] == (
        pytest.approx(0.2)
    )
    assert face["face_emotion"].tolist()[:4] == ["happy", "happy", "sad", "sad"]
    assert pd.isna(face.loc[4, "face_emotion"]) and face.loc[4, list(EMOTIONS)].isna().all()
    other = face_in_windows(FACES, VOICE, person=2.0)
    assert other["n_face_frames"].tolist() == [2, 0, 0, 0, 0]
    assert other.loc[0, "face_emotion"] == "angry"


def test_agreement_per_window_and_rates():
    agreed = agreement(FACES, VOICE)
    assert tuple(agreed.columns) == AGREEMENT_COLUMNS
    assert agreed["same_emotion"].tolist() == [True, False, False, pd.NA, pd.NA]
    assert agreed["same_valence"].tolist() == [True, True, True, pd.NA, pd.NA]
    assert agreed["voice_valence"].tolist()[:3] == ["positive", "positive", "negative"]
    rates = agreement_rates(agreed)
    assert rates == {
        "windows": 5,
        "speech_windows": 4,
        "compared": 3,
        "emotion_rate": pytest.approx(1 / 3),
        "valence_rate": 1.0,
    }


def test_the_mapping_decides_valence():
    # "debate": fear and sad are neutral, so window 3 (fear vs sad) still agrees; happy and
    # surprise stay positive.
    agreed = agreement(FACES, VOICE, mapping="debate")
    assert agreed["voice_valence"].tolist()[2] == "neutral"
    assert agreed["same_valence"].tolist()[:3] == [True, True, True]
    agreed = agreement(FACES, VOICE, person=2.0)
    assert agreed["same_emotion"].tolist() == [False, pd.NA, pd.NA, pd.NA, pd.NA]
    assert agreed["same_valence"].tolist()[0] is False  # happy (positive) vs angry (negative)


@pytest.mark.parametrize(
    ("faces", "voice", "expected", "error"),
    [
        (
            FACES,
            empty_voice_table(),
            {
                "windows": 0,
                "speech_windows": 0,
                "compared": 0,
                "emotion_rate": None,
                "valence_rate": None,
            },
            None,
        ),
        (
            FACES,
            voice_table([(0.0, 2.0, None)]),
            {
                "windows": 1,
                "speech_windows": 0,
                "compared": 0,
                "emotion_rate": None,
                "valence_rate": None,
            },
            None,
        ),
        (
            make_table([(0, 0.0, None, None)]),
            VOICE,
            {
                "windows": 5,
                "speech_windows": 4,
                "compared": 0,
                "emotion_rate": None,
                "valence_rate": None,
            },
            None,
        ),
        (FACES, FACES, None, SchemaError),
        (VOICE, VOICE, None, SchemaError),
    ],
)
def test_nothing_to_compare_and_bad_tables(faces, voice, expected, error):
    if error:
        with pytest.raises(error):
            agreement(faces, voice)
        return
    assert agreement_rates(agreement(faces, voice)) == expected


def test_unknown_mapping_is_refused():
    with pytest.raises(ParameterError, match="unknown preset"):
        agreement(FACES, VOICE, mapping="cheerful")


def test_inputs_untouched_and_voice_dominant():
    before_f, before_v = FACES.copy(), VOICE.copy()
    agreement(FACES, VOICE)
    pd.testing.assert_frame_equal(FACES, before_f)
    pd.testing.assert_frame_equal(VOICE, before_v)
    # One window each and equal means: the tie goes to the first of EMOTIONS.
    assert voice_dominant(VOICE) == "angry"
    tied = voice_table([(0, 1, {"sad": 0.9, "happy": 0.1}), (1, 2, "happy"), (2, 3, "sad")])
    assert voice_dominant(tied) == "sad"  # 2 windows sad, 1 happy
    assert voice_dominant(voice_table([(0, 1, None)])) is None
    assert voice_dominant(empty_voice_table()) is None
