"""Tests of summaries.moments: the one moment-picker, on hand-computed synthetic tables."""

from __future__ import annotations

import pandas as pd
import pytest

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.summaries.moments import MOMENT_COLUMNS, strongest_moments
from tests.helpers import make_table, steady_rows


def test_strongest_moments_hand_checked():
    table = make_table(
        [
            (0, 0.0, 0, {"happy": 0.2, "sad": 0.8}),
            (0, 0.0, 1, "angry"),
            (2, 0.5, 0, {"happy": 0.9, "sad": 0.1}),
            (4, 1.0, None, None),
            (6, 1.5, 0, {"happy": 0.9, "neutral": 0.1}),
        ]
    )
    before = table.copy()
    moments = strongest_moments(table)
    pd.testing.assert_frame_equal(table, before)
    assert len(moments) == 2 * len(EMOTIONS)
    assert list(moments.columns[:5]) == ["person", "emotion", "frame", "time_s", "probability"]
    got = moments.set_index(["person", "emotion"])
    assert got.loc[(0.0, "happy"), "frame"] == 2  # a tie with frame 6: the earliest wins
    assert got.loc[(0.0, "sad"), ["frame", "probability"]].tolist() == [0, 0.8]
    assert got.loc[(0.0, "neutral"), ["frame", "time_s"]].tolist() == [6, 1.5]
    assert got.loc[(1.0, "angry"), "probability"] == 1.0
    assert moments["person"].tolist() == [0.0] * 7 + [1.0] * 7
    assert moments["emotion"].tolist() == list(EMOTIONS) * 2


def test_strongest_moments_without_faces_is_empty():
    moments = strongest_moments(make_table([(0, 0.0, None, None)]))
    assert moments.empty and "probability" in moments


def ramp_table():
    """Person 1 at 4 fps for 10 s; happy peaks at 2.0 s (0.9), 2.25 s (0.8), 7.0 s (0.7) and
    9.75 s (0.6); person 2 is sad once at 5 s."""
    happy = {8: 0.9, 9: 0.8, 28: 0.7, 39: 0.6}
    probs = [{"happy": happy.get(i, 0.1), "neutral": 1 - happy.get(i, 0.1)} for i in range(40)]
    rows = steady_rows(1, probs, fps=4.0)
    rows.insert(21, (20, 5.0, 2, {"sad": 0.8, "happy": 0.2}))
    return make_table(rows)


@pytest.mark.parametrize(
    ("kwargs", "times"),
    [
        ({"n": 2}, [2.0, 2.25]),
        ({"n": 3, "min_spacing_s": 1.0}, [2.0, 7.0, 9.75]),  # 2.25 is 0.25 s from 2.0
        ({"n": 2, "min_spacing_s": 6.0}, [2.0, 9.75]),  # 7.0 is 5 s from 2.0
        ({"n": 3, "span_s": 2.0, "duration_s": 10.0}, [2.0, 7.0, 9.75]),
        ({"n": 9, "min_prob": 0.65}, [2.0, 2.25, 7.0]),  # strictly above
    ],
)
def test_n_spacing_segments_and_threshold(kwargs, times):
    got = strongest_moments(ramp_table(), persons=[1], emotions=["happy"], **kwargs)
    assert got["time_s"].tolist() == times and got["rank"].tolist() == list(range(len(times)))
    assert got["probability"].is_monotonic_decreasing and list(got.columns) == list(MOMENT_COLUMNS)
    if "span_s" in kwargs:  # the last segment ends with the video
        assert got[["start_s", "end_s"]].to_numpy().tolist() == [[1, 3], [6, 8], [8, 10]]
    else:
        assert (got["start_s"] == got["time_s"]).all() and (got["end_s"] == got["time_s"]).all()


def test_persons_emotions_and_per_person_order():
    table = ramp_table()
    got = strongest_moments(table, persons=[2, 1], emotions=["sad", "happy"])
    assert list(zip(got["person"], got["emotion"], strict=True)) == [
        (2.0, "sad"),
        (2.0, "happy"),
        (1.0, "sad"),
        (1.0, "happy"),
    ]
    top = strongest_moments(table, emotions=["sad", "happy", "neutral"], per_person=2)
    # P1: neutral peaks 0.9 (frames of 0.1 happy) and happy 0.9: a tie -> emotions order
    assert list(zip(top["person"], top["emotion"], strict=True)) == [
        (1.0, "happy"),
        (1.0, "neutral"),
        (2.0, "sad"),
        (2.0, "happy"),
    ]
    assert strongest_moments(table, persons=[7]).empty


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n=0"),
        ({"n": True}, "n=True"),
        ({"min_spacing_s": -1.0}, "min_spacing_s=-1.0"),
        ({"span_s": 0.0}, "span_s=0.0"),
        ({"per_person": 0}, "per_person=0"),
        ({"min_prob": 2}, "min_prob=2"),
        ({"emotions": ["joy"]}, "emotion='joy'"),
    ],
)
def test_rejects(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        strongest_moments(ramp_table(), **kwargs)
