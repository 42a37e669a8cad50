"""Figure builders: the emotion table in, `plotly.graph_objects.Figure` out.

Builders never show or write a figure; callers (notebooks, reports) decide that. Colours
come from `emohelpers.theme`, so a figure and the annotated video agree. Titles and trace
names given to a builder are shown as written (`figures.text.plain`), never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from emohelpers.analysis.table import BOX_COLUMNS, EMOTIONS, validate_table
from emohelpers.core.errors import ParameterError
from emohelpers.core.images import image_data_uri
from emohelpers.core.persons import labels_of
from emohelpers.figures.drawing import as_rows, draw_boxes
from emohelpers.figures.text import plain, plain_or_none
from emohelpers.figures.theme import (
    EMOTION_COLORS,
    FONT_COLOR,
    GRID_COLOR,
    RADAR_FILL_OPACITY,
    RADAR_LINE_WIDTH,
    apply_theme,
    person_color,
    person_label,
    rgba,
)

#: The one line a figure shows where no face was found.
NO_FACE_NOTE = "No face found in the analysed frames"

#: Angle of the first emotion (degrees, counter-clockwise from east) and direction of the rest.
RADAR_ROTATION_DEG = 90
RADAR_DIRECTION = "clockwise"


def _persons(table: pd.DataFrame) -> list[float]:
    return sorted(float(p) for p in table["person"].dropna().unique())


# --- radar -------------------------------------------------------------------------------


def radar_polar_layout(**polar: Any) -> dict[str, Any]:
    """The polar layout shared by every radar (interactive and the annotated video's).

    Axes sit below the traces, so a radar drawn as a static background plus polygons on top
    (as `emohelpers.render` does) looks like the interactive one.

    Args:
        **polar: extra `layout.polar` keys (e.g. `domain`), merged over the defaults.

    Returns:
        A dict for `fig.update_layout(polar=...)`.
    """
    layout: dict[str, Any] = {
        "radialaxis": {
            "range": [0, 1],
            "tickvals": [0.25, 0.5, 0.75, 1.0],
            "tickfont": {"size": 10, "color": "#888888"},
            "angle": RADAR_ROTATION_DEG,
            "tickangle": RADAR_ROTATION_DEG,
            "showline": False,
            "gridcolor": GRID_COLOR,
            "layer": "below traces",
        },
        "angularaxis": {
            "rotation": RADAR_ROTATION_DEG,
            "direction": RADAR_DIRECTION,
            "categoryorder": "array",
            "categoryarray": list(EMOTIONS),
            "tickfont": {"size": 13, "color": FONT_COLOR},
            "gridcolor": GRID_COLOR,
            "linecolor": "#AAAAAA",
            "layer": "below traces",
        },
        "hole": 0,
    }
    for key, value in polar.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def radar_trace(probs: np.ndarray, name: str, color: str, **kwargs: Any) -> go.Scatterpolar:
    """One filled radar polygon.

    Args:
        probs: (7,) float probabilities in `EMOTIONS` order; NaN draws nothing.
        name: legend name.
        color: hex outline colour; the fill is the same colour at `RADAR_FILL_OPACITY`.
        **kwargs: passed to `go.Scatterpolar` (e.g. `subplot`, `showlegend`).
    """
    r = np.asarray(probs, dtype=np.float64).reshape(len(EMOTIONS))
    name = plain(name)
    return go.Scatterpolar(
        r=[*r, r[0]],
        theta=[*EMOTIONS, EMOTIONS[0]],
        name=name,
        mode="lines",
        fill="toself",
        fillcolor=rgba(color, RADAR_FILL_OPACITY),
        line={"color": color, "width": RADAR_LINE_WIDTH},
        hovertemplate="%{theta}: %{r:.2f}<extra>" + name + "</extra>",
        **kwargs,
    )


def radar_figure(
    probs_by_trace: Mapping[str, np.ndarray],
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """A radar (Scatterpolar) of the seven probabilities, one filled trace per entry.

    Args:
        probs_by_trace: trace name -> (7,) float probabilities in `EMOTIONS` order.
        title: figure title.
        colors: trace name -> hex colour; default: `person_color` of the entry's position.

    Returns:
        The figure; radial range fixed to [0, 1]. Without traces (no face), a note.
    """
    fig = go.Figure()
    if not probs_by_trace:  # a polar layout without traces draws an empty x-y grid
        fig.add_annotation(text=NO_FACE_NOTE, showarrow=False, x=0.5, y=0.5)
        fig.update_xaxes(visible=False).update_yaxes(visible=False)
        return apply_theme(fig.update_layout(title=plain_or_none(title), height=200))
    for i, (name, probs) in enumerate(probs_by_trace.items()):
        color = (colors or {}).get(name) or person_color(i)
        fig.add_trace(radar_trace(probs, name, color))
    fig.update_layout(polar=radar_polar_layout(), title=plain_or_none(title), showlegend=True)
    return apply_theme(fig)


def person_radar_figure(
    table: pd.DataFrame, title: str = "Mean expression per person"
) -> go.Figure:
    """Radar of each person's mean probabilities over the frames where their face was seen."""
    validate_table(table)
    persons = _persons(table)
    means = table.dropna(subset=["person"]).groupby("person")[list(EMOTIONS)].mean()
    labels = labels_of(table)
    probs = {labels[p]: means.loc[p].to_numpy() for p in persons}
    colors = {labels[p]: person_color(p) for p in persons}
    return radar_figure(probs, title=title, colors=colors)


# --- timeline ----------------------------------------------------------------------------


def shot_starts(table: pd.DataFrame) -> list[float]:
    """Times of the first analysed frame of every shot but the first, seconds."""
    firsts = table.drop_duplicates("shot")
    return [float(t) for t in firsts["time_s"].iloc[1:]]


def timeline_figure(
    table: pd.DataFrame,
    person: float | None = None,
    cuts_s: list[float] | None = None,
    min_quality: float = 0.0,
) -> go.Figure:
    """Per-person timelines of the seven probabilities over time, one subplot per person.

    Gaps are honest: at analysed times where a person's face was not seen, the person's
    lines hold NaN and break (`connectgaps=False`) instead of joining across the gap.
    Shot cuts are solid grey vertical lines, with a key ("shot cut") in the legend. Faces
    below `min_quality` break the coloured lines too and are drawn as grey crosses at their
    top probability, keyed "face below min_quality": seen, but in no verdict.

    Args:
        table: the emotion table.
        person: a track id to show only that person; default all persons.
        cuts_s: times of the cuts, seconds (the provenance's `tracker.shots.cuts_s`);
            default: the first analysed frame of each shot (`shot_starts`).
        min_quality: faces of a lower `quality` are drawn grey (see `summaries.readable`).

    Returns:
        The figure; x is `time_s` in seconds, y the probability in [0, 1].

    Raises:
        ParameterError: when `person` is not in the table.
    """
    validate_table(table)
    persons = _persons(table)
    if person is not None:
        if float(person) not in persons:
            raise ParameterError(f"timeline_figure: person={person!r} not in the table {persons}")
        persons = [float(person)]
    analysed = table.drop_duplicates("frame")[["frame", "time_s"]].set_index("frame")
    if not persons:
        fig = go.Figure(go.Scatter(x=analysed["time_s"], y=np.full(len(analysed), np.nan)))
        fig.add_annotation(text=NO_FACE_NOTE, showarrow=False)
        fig.update_layout(xaxis_title="time (s)", yaxis_range=[0, 1], showlegend=False)
        return apply_theme(fig)
    fig = make_subplots(
        rows=len(persons),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.3 / len(persons)),
        subplot_titles=[labels_of(table)[p] for p in persons],
    )
    for row, p in enumerate(persons, start=1):
        seen = table[table["person"] == p].drop_duplicates("frame").set_index("frame")
        # Reindex onto every analysed frame: NaN where this person's face was not seen.
        full = seen[list(EMOTIONS)].reindex(analysed.index)
        low = (seen["quality"] < min_quality).reindex(analysed.index, fill_value=False)
        low = low.to_numpy(dtype=bool)
        if low.any():
            top = full.max(axis=1).to_numpy()
            fig.add_trace(
                go.Scatter(
                    x=analysed["time_s"].to_numpy()[low],
                    y=top[low],
                    name=LOW_QUALITY_KEY,
                    legendgroup="low-quality",
                    showlegend=not any(t.name == LOW_QUALITY_KEY for t in fig.data),
                    mode="markers",
                    marker={"color": LOW_QUALITY_COLOR, "symbol": "x-thin-open", "size": 7},
                    hovertemplate=f"{person_label(p)}: face below min_quality {min_quality:g} "
                    "at %{x:.2f} s<extra></extra>",
                ),
                row=row,
                col=1,
            )
            full.loc[low] = np.nan
        for emotion in EMOTIONS:
            fig.add_trace(
                go.Scatter(
                    x=analysed["time_s"].to_numpy(),
                    y=full[emotion].to_numpy(),
                    name=emotion,
                    legendgroup=emotion,
                    showlegend=row == 1,
                    mode="lines",
                    connectgaps=False,
                    line={"color": EMOTION_COLORS[emotion], "width": 1.6},
                    hovertemplate=f"{person_label(p)} {emotion}: %{{y:.2f}} at %{{x:.2f}} s"
                    "<extra></extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(range=[0, 1], title_text="probability", row=row, col=1)
    add_cut_lines(fig, shot_starts(table) if cuts_s is None else cuts_s)
    fig.update_xaxes(title_text="time (s)", row=len(persons), col=1)
    fig.update_layout(
        title="Expression over time", height=140 + 220 * len(persons), hovermode="x unified"
    )
    return apply_theme(fig)


#: How a face below min_quality is drawn on the timelines, and its legend key.
LOW_QUALITY_COLOR = "#9E9E9E"
LOW_QUALITY_KEY = "face below min_quality (in no verdict)"

#: How a shot cut is drawn on every timeline (turning points are drawn otherwise).
CUT_LINE = {"dash": "solid", "width": 1.5, "color": "#9E9E9E"}
CUT_KEY = "shot cut (grey line)"


def add_cut_lines(fig: go.Figure, cuts_s: list[float] | None) -> go.Figure:
    """Shot cuts as solid grey vertical lines across every row, keyed in the legend (in
    place; returns `fig`)."""
    if not cuts_s:
        return fig
    for t in cuts_s:
        fig.add_vline(x=t, row="all", col=1, line=CUT_LINE)
    fig.add_trace(
        go.Scatter(x=[None], y=[None], mode="lines", line=CUT_LINE, name=CUT_KEY, hoverinfo="skip")
    )
    return fig


# --- frames ------------------------------------------------------------------------------


def _hide_image_axes(fig: go.Figure, row: int, col: int) -> None:
    fig.update_xaxes(visible=False, row=row, col=col)
    fig.update_yaxes(visible=False, scaleanchor="x", row=row, col=col)


def frame_radar_figure(
    frame_rgb: np.ndarray,
    table_rows: pd.DataFrame,
    title: str | None = None,
    boxes: bool = True,
) -> go.Figure:
    """The frame (with face boxes) beside a radar of the probabilities at that frame.

    Args:
        frame_rgb: (h, w, 3) uint8 RGB frame.
        table_rows: the emotion-table rows of this frame; one radar trace per face.
        title: figure title; default names the frame and its time.
        boxes: draw the face boxes on the frame.

    Returns:
        The figure: image on the left, radar (range [0, 1]) on the right.
    """
    rows = as_rows(table_rows)
    image = draw_boxes(frame_rgb, rows) if boxes else np.asarray(frame_rgb)
    fig = make_subplots(
        rows=1, cols=2, specs=[[{"type": "xy"}, {"type": "polar"}]], column_widths=[0.6, 0.4]
    )
    fig.add_trace(
        go.Image(source=image_data_uri(image, quality=90), hoverinfo="skip"), row=1, col=1
    )
    for _, row in rows.dropna(subset=["emotion"]).iterrows():
        name = person_label(row["person"], row.get("name"))
        probs = row[list(EMOTIONS)].to_numpy(dtype=np.float64)
        fig.add_trace(radar_trace(probs, name, person_color(row["person"])), row=1, col=2)
    if title is None and len(rows) and "frame" in rows:
        first = rows.iloc[0]
        title = f"Frame {int(first['frame'])} at {float(first['time_s']):.2f} s"
    _hide_image_axes(fig, 1, 1)
    title = plain_or_none(title)
    fig.update_layout(polar=radar_polar_layout(), title=title, height=420, showlegend=True)
    return apply_theme(fig)


def _crop(frame_rgb: np.ndarray, row: pd.Series, margin: float) -> np.ndarray:
    box = np.array([float(row[c]) for c in BOX_COLUMNS])
    if np.isnan(box).any():
        return np.asarray(frame_rgb)
    h, w = frame_rgb.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = margin * (x2 - x1), margin * (y2 - y1)
    left, top = int(max(0, math.floor(x1 - mx))), int(max(0, math.floor(y1 - my)))
    right, bottom = int(min(w, math.ceil(x2 + mx))), int(min(h, math.ceil(y2 + my)))
    if right <= left or bottom <= top:
        return np.asarray(frame_rgb)
    return np.asarray(frame_rgb)[top:bottom, left:right]


def frame_bars_figure(frame_rgb: np.ndarray, row: pd.Series, margin: float = 0.2) -> go.Figure:
    """The face crop beside horizontal bars of its seven probabilities.

    Args:
        frame_rgb: (h, w, 3) uint8 RGB frame.
        row: one emotion-table row (a face of this frame); without a face, the whole frame
            is shown beside empty bars.
        margin: crop margin around the face box, as a fraction of the box size.

    Returns:
        The figure: crop on the left, bars (x range [0, 1]) in `EMOTION_COLORS` on the right.
    """
    crop = _crop(frame_rgb, row, margin)
    probs = row[list(EMOTIONS)].to_numpy(dtype=np.float64)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.12)
    fig.add_trace(go.Image(source=image_data_uri(crop, quality=90), hoverinfo="skip"), row=1, col=1)
    fig.add_trace(
        go.Bar(
            x=np.nan_to_num(probs),
            y=list(EMOTIONS),
            orientation="h",
            marker_color=[EMOTION_COLORS[e] for e in EMOTIONS],
            text=[f"{p:.2f}" if not math.isnan(p) else "" for p in probs],
            textposition="outside",
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    _hide_image_axes(fig, 1, 1)
    fig.update_xaxes(
        range=[0, 1.15], tickvals=[0, 0.25, 0.5, 0.75, 1], title_text="probability", row=1, col=2
    )
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    if pd.isna(row.get("emotion")):
        title = "No face"
    else:
        emotion = str(row["emotion"])
        title = f"{person_label(row['person'])}: {emotion} {float(row[emotion]):.2f}"
    if "time_s" in row:
        title += f" at {float(row['time_s']):.2f} s"
    fig.update_layout(title=title, height=360)
    return apply_theme(fig)
