"""Tests of summaries.summary (and the summary figures) on hand-computed synthetic tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.core.errors import ParameterError
from emohelpers.figures import summary_figures as F
from emohelpers.summaries import summary as S
from tests.helpers import make_table, rows_as_tuples, steady_rows, two_persons_table


@pytest.fixture
def two_persons() -> pd.DataFrame:
    return two_persons_table()


_rows = rows_as_tuples


# -- windows ------------------------------------------------------------------------------
def test_windows_two_persons_gaps_and_no_face(two_persons):
    before = two_persons.copy()
    w = S.windows(two_persons, window_s=1.0)
    cols = ["window", "window_start_s", "window_end_s", "person", "n_frames", "n_face_frames"]
    assert _rows(w, [*cols, "dominant_vote", "dominant_mean", "happy", "neutral"]) == [
        (0, 0.0, 1.0, 1.0, 2, 2, "happy", "happy", 0.7, 0.3),
        (0, 0.0, 1.0, 2.0, 2, 2, "sad", "sad", 0.0, 0.0),
        # frames 2-3 were analysed but have no face: no emotion, never neutral
        (1, 1.0, 2.0, None, 2, 0, None, None, None, None),
        # windows 2 and 3 hold no analysed frame at all
        (2, 2.0, 3.0, None, 0, 0, None, None, None, None),
        (3, 3.0, 4.0, None, 0, 0, None, None, None, None),
        (4, 4.0, 5.0, 1.0, 1, 1, "angry", "angry", 0.0, 0.0),
    ]
    assert list(w.columns) == [*S.WINDOW_COLUMNS, *EMOTIONS]
    assert w["n_frames"].dtype == np.int64 and w["person"].dtype == np.float64
    pd.testing.assert_frame_equal(two_persons, before)


def test_windows_in_frames_take_times_from_the_frame_rate(two_persons):
    # frames 0..8 at 2 fps (estimated from the table); 2-frame windows last 1 s
    w = S.windows(two_persons, window_frames=2)
    assert _rows(w, ["window", "window_start_s", "window_end_s", "person", "n_frames"]) == [
        (0, 0.0, 1.0, 1.0, 2),
        (0, 0.0, 1.0, 2.0, 2),
        (1, 1.0, 2.0, None, 2),
        (2, 2.0, 3.0, None, 0),
        (3, 3.0, 4.0, None, 0),
        (4, 4.0, 5.0, 1.0, 1),
    ]
    w4 = S.windows(two_persons, window_frames=2, fps=4.0)
    assert w4["window_start_s"].tolist()[-1] == 2.0  # t0 + (8 - 0) / 4


def test_vote_tie_goes_to_higher_mean_then_emotions_order():
    t = make_table(
        [
            # votes happy 1, sad 1; means happy 0.35, sad 0.65 -> sad
            (0, 0.0, 1, {"happy": 0.6, "sad": 0.4}),
            (1, 0.1, 1, {"happy": 0.1, "sad": 0.9}),
            # votes angry 1, sad 1; means 0.5 and 0.5 -> angry (first in EMOTIONS)
            (20, 2.0, 1, {"angry": 0.6, "sad": 0.4}),
            (21, 2.1, 1, {"angry": 0.4, "sad": 0.6}),
        ]
    )
    w = S.windows(t, window_s=1.0)
    assert _rows(w, ["window", "dominant_vote", "dominant_mean"]) == [
        (0, "sad", "sad"),
        (1, None, None),
        (2, "angry", "angry"),
    ]


def test_vote_and_mean_can_disagree():
    # votes happy 2, sad 1; means happy 0.8/3, sad 1.6/3
    p = {"happy": 0.4, "neutral": 0.3, "sad": 0.3}
    t = make_table(steady_rows(7, [p, p, "sad"]))
    d = S.dominant_emotion(t)
    assert _rows(d, ["person", "n_frames", "n_face_frames", "dominant_vote", "dominant_mean"]) == [
        (7.0, 3, 3, "happy", "sad")
    ]
    assert d["happy"].iloc[0] == pytest.approx(0.8 / 3)
    assert d["sad"].iloc[0] == pytest.approx(1.6 / 3)


def test_no_face_frames_do_not_dilute_or_vote():
    t = make_table(steady_rows(1, [None, None, None, "happy"]))
    w = S.windows(t, window_s=10.0)
    assert _rows(
        w, ["person", "n_frames", "n_face_frames", "dominant_vote", "neutral", "happy"]
    ) == [(1.0, 4, 1, "happy", 0.0, 1.0)]


def test_one_frame_table():
    t = make_table([(5, 0.2, 3, "fear")])
    w = S.windows(t, window_frames=10)  # fps cannot be estimated from one frame
    assert _rows(w, ["window", "person", "n_frames", "n_face_frames", "dominant_vote"]) == [
        (0, 3.0, 1, 1, "fear")
    ]
    assert np.isnan(w["window_start_s"].iloc[0])
    assert S.windows(t, window_s=1.0)["window_start_s"].tolist() == [0.0]


def test_window_edges_tolerate_float_times():
    t = make_table([(i, i * 0.1, 1, "happy") for i in range(4)])
    assert S.assign_windows(t, window_s=0.1)["window"].tolist() == [0, 1, 2, 3]


def test_untracked_faces_and_empty_tables():
    t = make_table([(0, 0.0, 1, "happy")])
    t.loc[0, "person"] = np.nan  # a face without a track id
    w = S.windows(t, window_s=1.0)
    assert _rows(w, ["person", "n_face_frames", "dominant_vote"]) == [(None, 1, "happy")]
    empty = t.iloc[:0]
    assert S.windows(empty, window_s=1.0).empty
    assert list(S.windows(empty, window_s=1.0).columns) == [*S.WINDOW_COLUMNS, *EMOTIONS]
    assert S.dominant_emotion(empty).empty
    assert S.turning_points(empty).empty


def test_dominant_emotion_per_person_and_no_face_clip(two_persons):
    d = S.dominant_emotion(two_persons)
    assert _rows(d, ["person", "n_frames", "n_face_frames", "dominant_vote", "dominant_mean"]) == [
        (1.0, 5, 3, "happy", "happy"),
        (2.0, 5, 2, "sad", "sad"),
    ]
    d0 = S.dominant_emotion(make_table(steady_rows(1, [None, None])))
    assert _rows(d0, ["person", "n_frames", "n_face_frames", "dominant_vote"]) == [
        (None, 2, 0, None)
    ]


def test_main_person_most_face_frames_ties_lowest_id():
    t = make_table([(0, 0.0, 4, "sad"), (0, 0.0, 2, "sad"), (1, 0.1, 4, "sad"), (1, 0.1, 2, "sad")])
    assert S.main_person(t) == 2.0
    assert S.main_person(t.iloc[[0, 2, 3]]) == 4.0
    assert np.isnan(S.main_person(make_table(steady_rows(1, [None]))))
    # The one ordering behind the main person and the report's main persons.
    t = make_table(
        [
            *steady_rows(3, ["sad"] * 3),
            *steady_rows(1, ["sad"] * 2, start_frame=3),
            *steady_rows(2, ["sad"] * 3, start_frame=5),
        ]
    )
    assert S.main_persons(t) == [2.0, 3.0, 1.0]
    assert S.main_persons(t, 2) == [2.0, 3.0]
    assert S.main_persons(make_table(steady_rows(1, [None]))) == []


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({}, "exactly one"),
        ({"window_s": 1.0, "window_frames": 2}, "exactly one"),
        ({"window_s": 0}, "window_s=0"),
        ({"window_s": -1.0}, "window_s=-1.0"),
        ({"window_s": float("nan")}, "window_s=nan"),
        ({"window_s": "1"}, "window_s='1'"),
        ({"window_frames": 2.5}, "window_frames=2.5"),
        ({"window_frames": True}, "window_frames=True"),
        ({"window_frames": 0}, "window_frames=0"),
        ({"window_frames": 2, "fps": 0}, "fps=0"),
    ],
)
def test_windows_parameter_errors(two_persons, kwargs, error):
    with pytest.raises(ParameterError, match=error):
        S.windows(two_persons, **kwargs)


# -- smoothing ----------------------------------------------------------------------------
def test_smooth_moving_centred_per_person(two_persons):
    before = two_persons.copy()
    s = S.smooth(two_persons, "moving", window_s=1.0)
    validate_table(s)
    # person 1 at t 0 and 0.5 average each other (|dt| <= 0.5); t 4 stands alone
    assert s["happy"].tolist()[:4] == pytest.approx([0.7, 0.0, 0.7, 0.0])
    assert s.loc[6, ["angry", "fear"]].tolist() == [0.5, 0.5]
    assert s["emotion"].tolist()[2] == "happy"  # was neutral before smoothing
    assert s.loc[[4, 5], list(EMOTIONS)].isna().all().all()
    pd.testing.assert_frame_equal(two_persons, before)


def test_smooth_ewm_half_life():
    t = make_table(steady_rows(1, ["happy", "sad", "sad"], fps=2.0))
    s = S.smooth(t, "ewm", window_s=0.5)
    # weights 0.5 ** (dt / 0.5): t 0.5 -> (0.5 * 1 + 1 * 0) / 1.5 happy
    assert s["happy"].tolist() == pytest.approx([1.0, 1 / 3, 0.25 / 1.75])
    assert s["sad"].tolist() == pytest.approx([0.0, 2 / 3, 1.5 / 1.75])


def test_smooth_none_is_a_copy(two_persons):
    s = S.smooth(two_persons, "none")
    pd.testing.assert_frame_equal(s, two_persons)
    assert s is not two_persons


@pytest.mark.parametrize(
    "method, window_s, error",
    [("median", 1.0, "method='median'"), ("moving", 0.0, "window_s=0.0"), ("ewm", -2, "window_s")],
)
def test_smooth_errors(two_persons, method, window_s, error):
    with pytest.raises(ParameterError, match=error):
        S.smooth(two_persons, method, window_s)


# -- turning points -----------------------------------------------------------------------
def test_change_must_hold_min_duration():
    # 4 fps: neutral 0-1.75 s, happy flicker 2.0-2.25, neutral 2.5-3.0, sad 3.25-4.5
    seq = ["neutral"] * 8 + ["happy"] * 2 + ["neutral"] * 3 + ["sad"] * 6
    t = make_table(steady_rows(1, seq))
    tp = S.turning_points(t, min_duration_s=1.0, rise_threshold=None)
    assert _rows(tp, list(S.TURNING_COLUMNS)) == [(1.0, 3.25, "change", "neutral", "sad", 1.25)]
    tp0 = S.turning_points(t, min_duration_s=0.0, rise_threshold=None)
    assert _rows(tp0, ["time_s", "from_emotion", "emotion", "value"]) == [
        (2.0, "neutral", "happy", 0.5),
        (2.5, "happy", "neutral", 0.75),
        (3.25, "neutral", "sad", 1.25),
    ]


def test_rises_reported_once_per_episode_and_per_person():
    happy = [0.0, 0.1, 0.2, 0.3, 0.4, 0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6]
    rows = [{"happy": h, "neutral": 1 - h} for h in happy]
    t = make_table(steady_rows(2, rows) + [])
    tp = S.turning_points(t, min_duration_s=10.0, rise_threshold=0.3, rise_window_s=1.0)
    # t 0.75: 0.3 - min(0, 0.1, 0.2) = 0.3; stays on at 1.0 and 1.25; neutral rises at 1.5
    # (1.0 - min over [0.5, 1.5) = 0.6 -> +0.4); happy again at 2.75 (0.6 - 0)
    assert _rows(tp, ["person", "time_s", "kind", "from_emotion", "emotion", "value"]) == [
        (2.0, 0.75, "rise", None, "happy", 0.3),
        (2.0, 1.5, "rise", None, "neutral", 0.4),
        (2.0, 2.75, "rise", None, "happy", 0.6),
    ]


def test_turning_points_skip_untracked_faces_and_sort_by_time():
    t = make_table(
        [(0, 0.0, 1, "sad"), (0, 0.0, 2, "happy"), (1, 1.0, 1, "happy"), (1, 1.0, 2, "sad")]
    )
    tp = S.turning_points(t, min_duration_s=0.0, rise_threshold=0.5, rise_window_s=2.0)
    assert _rows(tp, ["person", "time_s", "kind", "emotion"]) == [
        (1.0, 1.0, "change", "happy"),
        (1.0, 1.0, "rise", "happy"),
        (2.0, 1.0, "change", "sad"),
        (2.0, 1.0, "rise", "sad"),
    ]
    t.loc[t["person"] == 2, "person"] = np.nan
    assert set(S.turning_points(t, min_duration_s=0.0)["person"]) == {1.0}


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"min_duration_s": -1}, "min_duration_s"),
        ({"rise_threshold": 0}, "rise_threshold"),
        ({"rise_threshold": 1.5}, "rise_threshold"),
        ({"rise_window_s": 0}, "rise_window_s"),
    ],
)
def test_turning_points_errors(two_persons, kwargs, error):
    with pytest.raises(ParameterError, match=error):
        S.turning_points(two_persons, **kwargs)


# -- figures ------------------------------------------------------------------------------
def test_windows_figure_bars_and_heatmap(two_persons):
    w = S.windows(two_persons, window_s=1.0)
    bars = F.windows_figure(w)
    assert isinstance(bars, go.Figure)
    assert len(bars.data) == 2 * len(EMOTIONS)  # two persons, one trace per emotion
    happy_p1 = next(d for d in bars.data if d.name == "happy")
    assert list(happy_p1.x) == [0.5, 4.5] and list(happy_p1.y) == [0.7, 0.0]
    heat = F.windows_figure(w, kind="heatmap")
    assert [type(d).__name__ for d in heat.data] == ["Heatmap", "Heatmap"]
    with pytest.raises(ParameterError, match="kind"):
        F.windows_figure(w, kind="pie")
    nobody = F.windows_figure(S.windows(make_table(steady_rows(1, [None])), window_s=1))
    assert len(nobody.data) == 0


def test_add_turning_points_returns_a_marked_copy(two_persons):
    tp = S.turning_points(two_persons, min_duration_s=0.0)
    fig = F.windows_figure(S.windows(two_persons, window_s=1.0))
    marked = F.add_turning_points(fig, tp, persons=[1.0, 2.0])
    assert len(fig.layout.shapes) == 0 and len(tp) == 3
    changes, rises = (tp["kind"] == "change").sum(), (tp["kind"] == "rise").sum()
    assert len(marked.layout.shapes) == changes >= 1  # changes: dashed lines
    assert {a.text for a in marked.layout.annotations} >= {"P1 happy→neutral"}
    scatters = [d for d in marked.data if isinstance(d, go.Scatter) and d.x[0] is not None]
    triangles = [d for d in scatters if d.marker.symbol == "triangle-up"]
    assert len(triangles) == rises >= 1  # rises: triangles, not lines like the cuts
    assert any("P1 ↑neutral +0.60" in d.hovertemplate for d in triangles)
    assert {F.CHANGE_KEY, F.RISE_KEY} <= {d.name for d in marked.data}  # the key
    assert len(F.add_turning_points(fig, tp, persons=[2.0]).layout.shapes) == 0
