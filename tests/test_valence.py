"""Tests of emohelpers.summaries.valence (and the valence figure) with hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.figures import summary_figures as F
from emohelpers.summaries import summary as S
from emohelpers.summaries import valence as V
from tests.helpers import make_table, rows_as_tuples, steady_rows, two_persons_table


@pytest.fixture
def two_persons() -> pd.DataFrame:
    return two_persons_table()


_rows = rows_as_tuples


def test_presets_are_the_documented_ones():
    assert V.VALENCE_PRESETS["default"] == {
        "angry": "negative",
        "disgust": "negative",
        "fear": "negative",
        "happy": "positive",
        "neutral": "neutral",
        "sad": "negative",
        "surprise": "positive",
    }
    debate = V.VALENCE_PRESETS["debate"]
    assert {e for e, c in debate.items() if c == "neutral"} == {"fear", "sad", "neutral"}
    assert {e for e, c in debate.items() if c == "negative"} == {"angry", "disgust"}
    assert {e for e, c in debate.items() if c == "positive"} == {"happy", "surprise"}


def test_clip_verdict_sums_means_shares(two_persons):
    before = two_persons.copy()
    v = V.valence_verdict(two_persons, level="clip")
    # 5 faces; positive 1 + 0.4; neutral 0.6; negative 0.5 + 0.5 + 1 + 1
    # top emotions happy, neutral, angry, sad, sad -> shares 1/5, 1/5, 3/5
    assert _rows(v, list(v.columns)) == [
        (5, 5, 1.4, 0.6, 3.0, 0.28, 0.12, 0.6, 0.2, 0.2, 0.6, -0.32, 0.32, "negative")
    ]
    vote = V.valence_verdict(two_persons, level="clip", method="vote")
    assert vote["score"].iloc[0] == pytest.approx(-0.4)
    pd.testing.assert_frame_equal(two_persons, before)


def test_person_verdict_margin_method_and_preset(two_persons):
    cols = ["person", "n_faces", "mean_positive", "mean_negative", "score", "verdict"]
    v = V.valence_verdict(two_persons, level="person")
    assert _rows(v, cols) == [
        (1.0, 3, round(1.4 / 3, 9), round(1 / 3, 9), round(0.4 / 3, 9), "positive"),
        (2.0, 2, 0.0, 1.0, -1.0, "negative"),
    ]
    # 0.133 is within a margin of 0.2: a near-tie comes out neutral
    v2 = V.valence_verdict(two_persons, level="person", margin=0.2)
    assert v2["verdict"].tolist() == ["neutral", "negative"]
    # vote shares of P1: one positive, one neutral, one negative top emotion -> 0
    v3 = V.valence_verdict(two_persons, level="person", method="vote")
    assert v3["score"].tolist() == [0.0, -1.0] and v3["verdict"].iloc[0] == "neutral"
    # debate: fear and sad are neutral -> P1 negative mass 0.5, P2 none
    v4 = V.valence_verdict(two_persons, "debate", level="person")
    assert _rows(v4, ["sum_neutral", "sum_negative", "score", "verdict"]) == [
        (1.1, 0.5, 0.3, "positive"),
        (2.0, 0.0, 0.0, "neutral"),
    ]


def test_window_verdict_never_calls_no_face_neutral(two_persons):
    v = V.valence_verdict(two_persons, level="window", window_s=1.0)
    assert _rows(v, ["window", "person", "n_frames", "n_faces", "score", "verdict"]) == [
        (0, 1.0, 2, 2, 0.7, "positive"),
        (0, 2.0, 2, 2, -1.0, "negative"),
        (1, None, 2, 0, None, None),
        (2, None, 0, 0, None, None),
        (3, None, 0, 0, None, None),
        (4, 1.0, 1, 1, -1.0, "negative"),
    ]
    assert list(v.columns[:4]) == ["window", "window_start_s", "window_end_s", "person"]
    nobody = V.valence_verdict(make_table(steady_rows(1, [None, None])), level="clip")
    assert _rows(nobody, ["n_frames", "n_faces", "score", "verdict"]) == [(2, 0, None, None)]
    person = V.valence_verdict(make_table(steady_rows(1, [None])), level="person")
    assert person["verdict"].isna().all()


@pytest.mark.parametrize(
    "margin, expected", [(0.125, "interested"), (0.25, "undecided"), (1.0, "undecided")]
)
def test_verdict_labels_and_exact_margin(margin, expected):
    # mean positive 0.625, negative 0.375: score exactly 0.25
    t = make_table(steady_rows(1, [{"happy": 0.625, "sad": 0.375}]))
    labels = ("interested", "undecided", "not interested")
    v = V.valence_verdict(t, margin=margin, labels=labels)
    assert v["score"].iloc[0] == 0.25 and v["verdict"].iloc[0] == expected
    flipped = make_table(steady_rows(1, [{"happy": 0.375, "sad": 0.625}]))
    assert V.valence_verdict(flipped, margin=0.125, labels=labels)["verdict"][0] == labels[2]


def test_valence_scores_on_tables_and_windows(two_persons):
    s = V.valence_scores(two_persons)
    assert _rows(s, ["valence_positive", "valence_neutral", "valence_negative", "valence"]) == [
        (1.0, 0.0, 0.0, "positive"),
        (0.0, 0.0, 1.0, "negative"),
        (0.4, 0.6, 0.0, "neutral"),
        (0.0, 0.0, 1.0, "negative"),
        (None, None, None, None),
        (None, None, None, None),
        (0.0, 0.0, 1.0, "negative"),
    ]
    assert "neutral" in s.columns and s["neutral"].tolist()[2] == 0.6  # emotion kept
    w = V.valence_scores(S.windows(two_persons, window_s=1.0), "debate")
    assert _rows(w, ["valence_score", "valence"])[:3] == [
        (0.7, "positive"),
        (0.0, "neutral"),  # P2 sad is neutral in the debate preset
        (None, None),
    ]
    with pytest.raises(SchemaError, match="missing probability columns"):
        V.valence_scores(two_persons.drop(columns=["sad"]))


def test_valence_of_keeps_missing():
    out = V.valence_of(["happy", None, np.nan, "fear"], "debate")
    assert out.tolist()[0] == "positive" and out.tolist()[3] == "neutral"
    assert out.isna().tolist() == [False, True, True, False]


def test_custom_mapping():
    m = dict(V.VALENCE_PRESETS["default"], surprise="neutral")
    t = make_table(steady_rows(1, ["surprise"]))
    assert V.valence_verdict(t, m)["verdict"].iloc[0] == "neutral"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"mapping": "lecture"}, r"mapping='lecture'.*allowed values are \['default', 'debate'\]"),
        ({"mapping": {"happy": "positive"}}, "missing emotions"),
        ({"mapping": dict(V.VALENCE_PRESETS["default"], joy="positive")}, "unknown keys"),
        ({"mapping": dict(V.VALENCE_PRESETS["default"], happy="good")}, "not valence classes"),
        ({"mapping": 3}, "mapping=3"),
        ({"level": "frame"}, "level='frame'"),
        ({"method": "sum"}, "method='sum'"),
        ({"margin": -0.1}, "margin=-0.1"),
        ({"margin": 1.5}, "margin=1.5"),
        ({"margin": True}, "margin=True"),
        ({"margin": "0.1"}, "margin='0.1'"),
        ({"labels": ("yes", "no")}, "labels="),
        ({"labels": ("a", "a", "b")}, "labels="),
        ({"labels": "positive"}, "labels="),
        ({"level": "window"}, "window_s or window_frames"),
        ({"level": "window", "window_s": 0}, "window_s=0"),
    ],
)
def test_verdict_parameter_errors(two_persons, kwargs, error):
    with pytest.raises(ParameterError, match=error):
        V.valence_verdict(two_persons, **kwargs)


def test_valence_figure_levels(two_persons):
    win = F.valence_figure(V.valence_verdict(two_persons, level="window", window_s=1.0), 0.1)
    assert [d.name for d in win.data] == ["P1", "P2"]
    assert list(win.data[0].x) == [0.5, 4.5] and list(win.data[0].text) == ["positive", "negative"]
    assert len(win.layout.shapes) == 4  # +-margin in both rows
    per = F.valence_figure(V.valence_verdict(two_persons, level="person"))
    assert list(per.data[0].x) == ["P1", "P2"] and len(per.layout.shapes) == 0
    clip = F.valence_figure(V.valence_verdict(two_persons, level="clip"))
    assert list(clip.data[0].x) == ["clip"]
