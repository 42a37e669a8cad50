"""The voice table contract: build, validate, save and load."""

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.table import (
    VOICE_COLUMNS,
    build_voice_table,
    empty_voice_table,
    load_voice_table,
    save_voice_table,
    validate_voice_table,
)
from emohelpers.core.errors import SchemaError

NAN7 = [np.nan] * 7
HAPPY = [0.05, 0.05, 0.05, 0.6, 0.1, 0.1, 0.05]
FEAR = [0.05, 0.05, 0.6, 0.05, 0.1, 0.1, 0.05]


def _table():
    return build_voice_table(
        [0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [0.1, 0.8, 0.9], np.array([NAN7, HAPPY, FEAR])
    )


def test_build_sets_emotion_and_keeps_non_speech_rows():
    t = _table()
    assert tuple(t.columns) == VOICE_COLUMNS
    assert pd.isna(t.loc[0, "emotion"]) and t["emotion"].tolist()[1:] == ["happy", "fear"]
    assert t.loc[0, list(EMOTIONS)].isna().all()


def _broken(change):
    t = _table()
    change(t)
    return t


@pytest.mark.parametrize(
    "table, message",
    [
        (_table().drop(columns="speech_prob"), "missing columns"),
        (_broken(lambda t: t.__setitem__("start_s", t["start_s"].astype("float32"))), "dtype"),
        (_broken(lambda t: t.loc.__setitem__((1, "end_s"), 0.5)), "start_s < end_s"),
        (_broken(lambda t: t.loc.__setitem__((2, "start_s"), 0.5)), "sorted"),
        (_broken(lambda t: t.loc.__setitem__((0, "speech_prob"), np.nan)), "speech_prob"),
        (_broken(lambda t: t.loc.__setitem__((1, "happy"), np.nan)), "some probabilities"),
        (_broken(lambda t: t.loc.__setitem__((1, "happy"), 0.9)), "sum to"),
        (_broken(lambda t: t.loc.__setitem__((1, "emotion"), "sad")), "most probable"),
        (_broken(lambda t: t.loc.__setitem__((0, "emotion"), "neutral")), "without speech"),
    ],
)
def test_validate_names_the_broken_rule(table, message):
    with pytest.raises(SchemaError, match=message):
        validate_voice_table(table)


def test_save_load_round_trip(tmp_path):
    t = _table()
    path = save_voice_table(t, tmp_path)
    assert path.name == "voice.parquet" and not list(tmp_path.glob("*.tmp"))
    pd.testing.assert_frame_equal(load_voice_table(tmp_path), t)
    save_voice_table(empty_voice_table(), tmp_path / "empty")
    assert load_voice_table(tmp_path / "empty").empty
    with pytest.raises(SchemaError, match="not found"):
        load_voice_table(tmp_path / "nowhere")


def test_summaries_accept_the_voice_as_one_pseudo_person():
    from emohelpers.analysis.table import validate_table
    from emohelpers.analysis.voice.pseudo_person import VOICE_PERSON, as_emotion_table
    from emohelpers.summaries import summary

    rng = np.random.default_rng(0)
    n = 12
    probs = rng.dirichlet(np.ones(7), n)
    probs[[0, 5, 6]] = np.nan
    starts = np.arange(n, dtype=float)
    voice = build_voice_table(starts, starts + 2, np.where(np.isnan(probs[:, 0]), 0.1, 0.9), probs)
    table = as_emotion_table(voice)
    validate_table(table)
    assert table["time_s"].tolist() == (starts + 1).tolist()
    assert table["person"].dropna().eq(VOICE_PERSON).all() and table["person"].isna().sum() == 3
    win = summary.windows(table, window_s=4.0)
    # 4 s summary windows over window centres 1..12 s; rows 0, 5 and 6 have no speech.
    assert win["n_frames"].tolist() == [3, 4, 4, 1]
    assert win["n_face_frames"].tolist() == [2, 2, 4, 1]
    assert set(win["person"]) == {VOICE_PERSON}
    dom = summary.dominant_emotion(table)
    assert len(dom) == 1 and dom["person"].iloc[0] == VOICE_PERSON
