"""Figure builders and the theme, on synthetic emotion tables."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.figures.core_figures import (
    frame_bars_figure,
    frame_radar_figure,
    person_radar_figure,
    radar_figure,
    timeline_figure,
)
from emohelpers.figures.drawing import draw_boxes
from emohelpers.figures.theme import (
    EMOTION_COLORS,
    NO_PERSON_COLOR,
    PERSON_COLORS,
    RADAR_FILL_OPACITY,
    TEMPLATE_NAME,
    apply_theme,
    hex_to_rgb,
    person_color,
    person_label,
    rgba,
)
from tests.helpers import make_table, probs_vector

FPS = 4.0


def gap_table():
    """P0 on frames 0-5 but not 2-4; P1 on frames 1-2; frames 3 and 4 have no face at all."""
    rows = []
    for f in range(6):
        t = f / FPS
        if f in (3, 4):
            rows.append((f, t, None, None))
            continue
        if f != 2:
            rows.append((f, t, 0, {"happy": 0.7, "neutral": 0.3}))
        if f in (1, 2):
            rows.append((f, t, 1, {"sad": 0.6, "fear": 0.4}))
    return make_table(rows)


FRAME = (np.arange(120 * 160 * 3) % 251).astype(np.uint8).reshape(120, 160, 3)


# --- theme ----------------------------------------------------------------------------


def test_emotion_colors_cover_emotions_in_order_and_are_distinct():
    assert tuple(EMOTION_COLORS) == EMOTIONS
    colors = list(EMOTION_COLORS.values())
    assert len(set(colors)) == len(colors)
    rgb = np.array([hex_to_rgb(c) for c in colors], dtype=float)
    distances = np.linalg.norm(rgb[:, None] - rgb[None], axis=2)
    assert distances[~np.eye(len(rgb), dtype=bool)].min() > 60


# Machado et al. (2009) simulation matrices (severity 1), on linear RGB.
CVD = {
    "deuteranopia": [[0.367, 0.861, -0.228], [0.280, 0.673, 0.047], [-0.012, 0.043, 0.969]],
    "protanopia": [[0.152, 1.053, -0.205], [0.115, 0.786, 0.099], [-0.004, -0.048, 1.052]],
}


@pytest.mark.parametrize("vision", sorted(CVD))
def test_emotion_colors_stay_apart_for_colour_blind_viewers(vision):
    rgb = np.array([hex_to_rgb(c) for c in EMOTION_COLORS.values()], dtype=float) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ np.array(CVD[vision]).T, 0, 1) ** (1 / 2.2)
    distances = np.linalg.norm(seen[:, None] - seen[None], axis=2)
    assert distances[~np.eye(len(seen), dtype=bool)].min() > 0.15


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (0, PERSON_COLORS[0]),
        (1.0, PERSON_COLORS[1]),
        (9.0, PERSON_COLORS[1]),
        (float("nan"), NO_PERSON_COLOR),
        (None, NO_PERSON_COLOR),
    ],
)
def test_person_color(person, expected):
    assert person_color(person) == expected


def test_rgba_and_theme():
    assert rgba("#FF8000", 0.25) == "rgba(255,128,0,0.25)"
    with pytest.raises(ValueError):
        hex_to_rgb("red")
    fig = apply_theme(go.Figure())
    assert fig.layout.template.layout.paper_bgcolor == "#FFFFFF"
    assert TEMPLATE_NAME


# --- timeline -------------------------------------------------------------------------


def test_timeline_one_subplot_per_person_colours_from_the_map():
    fig = timeline_figure(gap_table())
    assert len(fig.data) == 2 * len(EMOTIONS)
    for i, trace in enumerate(fig.data):
        emotion = EMOTIONS[i % len(EMOTIONS)]
        assert trace.name == emotion
        assert trace.line.color == EMOTION_COLORS[emotion]
        assert trace.connectgaps is False
        assert trace.showlegend is (i < len(EMOTIONS))
    assert {t.yaxis for t in fig.data} == {"y", "y2"}
    assert tuple(fig.layout.yaxis.range) == (0, 1)


def test_timeline_breaks_where_a_person_is_not_seen():
    fig = timeline_figure(gap_table())
    p0_happy, p1_sad = fig.data[EMOTIONS.index("happy")], fig.data[7 + EMOTIONS.index("sad")]
    # Every analysed frame is on the x axis, for every person.
    np.testing.assert_allclose(p0_happy.x, np.arange(6) / FPS)
    np.testing.assert_allclose(p1_sad.x, np.arange(6) / FPS)
    np.testing.assert_allclose(p0_happy.y, [0.7, 0.7, np.nan, np.nan, np.nan, 0.7])
    np.testing.assert_allclose(p1_sad.y, [np.nan, 0.6, 0.6, np.nan, np.nan, np.nan])


def test_timeline_one_person_and_errors():
    fig = timeline_figure(gap_table(), person=1)
    assert len(fig.data) == len(EMOTIONS)
    assert "P1" in fig.layout.annotations[0].text
    with pytest.raises(ParameterError, match="person=7"):
        timeline_figure(gap_table(), person=7)


def test_timeline_without_faces_says_so():
    fig = timeline_figure(make_table([(0, 0.0, None, None), (1, 0.25, None, None)]))
    assert "No face" in fig.layout.annotations[0].text


# --- radar ----------------------------------------------------------------------------


def test_radar_figure_traces_closed_filled_range_fixed():
    probs = {"a": probs_vector("happy"), "b": probs_vector({"sad": 0.5, "fear": 0.5})}
    fig = radar_figure(probs, title="t", colors={"b": "#123456"})
    assert [t.name for t in fig.data] == ["a", "b"]
    assert tuple(fig.layout.polar.radialaxis.range) == (0, 1)
    for trace, vector in zip(fig.data, probs.values(), strict=True):
        assert trace.fill == "toself"
        assert list(trace.theta) == [*EMOTIONS, EMOTIONS[0]]
        np.testing.assert_allclose(trace.r, [*vector, vector[0]])
    assert fig.data[0].line.color == person_color(0)
    assert fig.data[1].line.color == "#123456"
    assert fig.data[1].fillcolor == rgba("#123456", RADAR_FILL_OPACITY)
    assert fig.layout.polar.angularaxis.direction == "clockwise"


def test_person_radar_is_each_persons_mean():
    fig = person_radar_figure(gap_table())
    assert [t.name for t in fig.data] == ["P0", "P1"]
    p0 = dict(zip(fig.data[0].theta, fig.data[0].r, strict=True))
    assert p0["happy"] == pytest.approx(0.7) and p0["sad"] == 0
    assert fig.data[1].line.color == person_color(1)


# --- frames ---------------------------------------------------------------------------


def test_draw_boxes_returns_a_new_array_with_the_emotion_colour():
    table = make_table([(0, 0.0, 0, {"happy": 0.83, "sad": 0.17}), (0, 0.0, None, None)][:1])
    frame = FRAME.copy()
    out = draw_boxes(frame, table)
    np.testing.assert_array_equal(frame, FRAME)
    assert out is not frame and out.shape == frame.shape and out.dtype == np.uint8
    x1, y1, x2, y2 = table.loc[0, ["x1", "y1", "x2", "y2"]].astype(int)
    assert tuple(out[(y1 + y2) // 2, x1]) == hex_to_rgb(EMOTION_COLORS["happy"])
    assert tuple(out[y2, (x1 + x2) // 2]) == hex_to_rgb(EMOTION_COLORS["happy"])
    assert (out != frame).any(axis=2).sum() > 100


def test_draw_boxes_skips_rows_without_faces_and_takes_a_series():
    table = gap_table()
    no_face = table[table["person"].isna()]
    np.testing.assert_array_equal(draw_boxes(FRAME, no_face), FRAME)
    one = draw_boxes(FRAME, table.iloc[0])
    assert (one != FRAME).any()


def test_frame_radar_figure_has_the_image_and_one_trace_per_face():
    table = gap_table()
    fig = frame_radar_figure(FRAME, table[table["frame"] == 1])
    assert isinstance(fig.data[0], go.Image) and fig.data[0].source.startswith("data:image/")
    assert [t.name for t in fig.data[1:]] == ["P0", "P1"]
    assert tuple(fig.layout.polar.radialaxis.range) == (0, 1)
    assert "Frame 1" in fig.layout.title.text


def test_frame_bars_figure_bars_in_emotion_colours():
    row = gap_table().iloc[0]
    fig = frame_bars_figure(FRAME, row)
    image, bars = fig.data
    assert isinstance(image, go.Image)
    assert list(bars.y) == list(EMOTIONS)
    assert list(bars.marker.color) == [EMOTION_COLORS[e] for e in EMOTIONS]
    np.testing.assert_allclose(bars.x, row[list(EMOTIONS)].to_numpy(dtype=float))
    assert fig.layout.title.text.startswith("P0: happy 0.70")


def test_frame_bars_figure_without_a_face():
    table = gap_table()
    row = table[table["person"].isna()].iloc[0]
    fig = frame_bars_figure(FRAME, row)
    assert fig.layout.title.text.startswith("No face")
    assert (np.asarray(fig.data[1].x) == 0).all()


@pytest.mark.parametrize(
    ("person", "label"), [(0.0, "P0"), (12, "P12"), (math.nan, "no person"), (None, "no person")]
)
def test_person_label(person, label):
    assert person_label(person) == label


def test_timeline_draws_shot_cuts_on_every_panel():
    t = gap_table()
    t["shot"] = np.where(t["frame"] >= 3, 1, 0).astype(np.int64)  # a cut before frame 3
    fig = timeline_figure(t)
    cuts = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in cuts] == [pytest.approx(3 / FPS)] * 2  # both persons' panels
    assert {s.yref for s in cuts} == {"y domain", "y2 domain"}
    assert fig.layout.shapes == timeline_figure(t, cuts_s=[3 / FPS]).layout.shapes
    assert not timeline_figure(gap_table()).layout.shapes  # one shot: no line


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _texts(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _texts(v)]
    return []


def test_names_titles_and_labels_from_data_are_shown_as_text_not_markup():
    """Plotly renders HTML in figure text: a clip, person or label name like `<a href>` or
    `<b>` must reach the figure escaped, whatever builder it enters."""
    import pandas as pd

    from emohelpers.figures.core_figures import frame_radar_figure, radar_figure
    from emohelpers.figures.explanation import explanation_figure
    from emohelpers.figures.summary_figures import confusion_figure

    link, bold = '<a href="https://example.com">clip.mp4</a>', "<b>Ann</b> & Bob"
    probs = probs_vector("happy")
    table = make_table([(0, 0.0, 1, "happy")])
    frame = np.zeros((80, 80, 3), dtype=np.uint8)
    crop = np.zeros((48, 48, 3), dtype=np.uint8)
    maps = {e: np.zeros((48, 48)) for e in EMOTIONS}
    confusion = pd.DataFrame([[1, 0], [0, 1]], index=[link, "sad"], columns=[bold, "sad"])
    figs = [
        radar_figure({bold: probs}, title=link),
        frame_radar_figure(frame, table, title=f"{link} at 0 s"),
        explanation_figure(crop, maps, probs, title=link),
        confusion_figure(confusion),
    ]
    for fig in figs:
        texts = _texts(fig.to_plotly_json())
        assert not [t for t in texts if "<a href" in t or "<b>Ann" in t or "& Bob" in t]
    assert figs[0].layout.title.text == html_escape(link)
    assert figs[0].data[0].name == "&lt;b&gt;Ann&lt;/b&gt; &amp; Bob"


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
