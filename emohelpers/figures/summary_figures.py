"""Figures of summaries: windows, valence, confusion matrices, turning points on timelines.

Builders return a `plotly.graph_objects.Figure` and never show or write it. Colours come
from `emohelpers.theme`. Windows and scopes without a face are left blank (no bar, no
cell), never drawn as neutral.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.figures.text import plain_all
from emohelpers.figures.theme import EMOTION_COLORS, apply_theme

WINDOW_KINDS: tuple[str, ...] = ("bars", "heatmap")
#: The valence axis, with its unit.
SCORE_TITLE = "score (positive − negative probability)"
VERDICT_COLORS: dict[str, str] = {
    "positive": EMOTION_COLORS["happy"],
    "neutral": EMOTION_COLORS["neutral"],
    "negative": EMOTION_COLORS["sad"],
}


def _label(person: Any) -> str:
    if person is None or (isinstance(person, float) and math.isnan(person)):
        return "no person"
    return f"P{int(person)}"


def _persons(df: pd.DataFrame) -> list[float]:
    return sorted(float(p) for p in df["person"].dropna().unique())


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{what}: missing columns {missing}")


def _person_rows(persons: list) -> go.Figure:
    """One subplot row per person, sharing the time axis."""
    return make_subplots(
        rows=len(persons),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.3 / len(persons)),
        subplot_titles=[f"Person {_label(p)}" for p in persons],
    )


def windows_figure(windows_df: pd.DataFrame, kind: str = "bars") -> go.Figure:
    """Mean probabilities per window, one subplot per person.

    Args:
        windows_df: the output of `summary.windows`.
        kind: "bars" (stacked bars, one colour per emotion, one bar per window) or
            "heatmap" (emotions x windows, the colour the mean probability).

    Returns:
        The figure; x is time in seconds (bars span their window).

    Raises:
        ParameterError: for an unknown kind or a frame without the windows columns.
    """
    if kind not in WINDOW_KINDS:
        raise ParameterError(f"kind={kind!r}: unknown; allowed values are {list(WINDOW_KINDS)}")
    _require(windows_df, ["window_start_s", "window_end_s", "person", *EMOTIONS], "windows_df")
    persons = _persons(windows_df)
    if not persons:
        fig = go.Figure()
        fig.add_annotation(text="No face in any window", showarrow=False)
        return apply_theme(fig.update_layout(xaxis_title="time (s)"))
    fig = _person_rows(persons)
    for row, p in enumerate(persons, start=1):
        w = windows_df[windows_df["person"] == p]
        mid = ((w["window_start_s"] + w["window_end_s"]) / 2).to_numpy()
        width = (w["window_end_s"] - w["window_start_s"]).to_numpy()
        if kind == "heatmap":
            fig.add_trace(
                go.Heatmap(
                    x=mid,
                    y=list(EMOTIONS),
                    z=w[list(EMOTIONS)].to_numpy().T,
                    zmin=0,
                    zmax=1,
                    colorscale="Viridis",
                    showscale=row == 1,
                    colorbar={"title": {"text": "mean p"}},
                    hovertemplate="%{y}: %{z:.2f} at %{x:.2f} s<extra></extra>",
                ),
                row=row,
                col=1,
            )
            continue
        for e in EMOTIONS:
            fig.add_trace(
                go.Bar(
                    x=mid,
                    y=w[e].to_numpy(),
                    width=width * 0.95,
                    name=e,
                    legendgroup=e,
                    showlegend=row == 1,
                    marker_color=EMOTION_COLORS[e],
                    hovertemplate=f"{_label(p)} {e}: %{{y:.2f}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(range=[0, 1], title_text="mean probability", row=row, col=1)
    fig.update_xaxes(title_text="time (s)", row=len(persons), col=1)
    fig.update_layout(
        barmode="stack", title="Expression per window", height=140 + 220 * len(persons)
    )
    return apply_theme(fig)


def _verdict_bar(df: pd.DataFrame, x: Any, width: Any, name: str) -> go.Bar:
    verdicts = df["verdict"].astype(object).to_numpy()
    return go.Bar(
        x=x,
        y=df["score"].to_numpy(),
        width=width,
        name=name,
        showlegend=False,
        marker_color=[VERDICT_COLORS.get(str(v), "#777777") for v in verdicts],
        text=verdicts,
        customdata=np.c_[df["n_faces"].to_numpy()],
        hovertemplate="score %{y:.2f}: %{text} (%{customdata[0]} faces)<extra></extra>",
    )


def valence_figure(verdicts_df: pd.DataFrame, margin: float | None = None) -> go.Figure:
    """Valence scores as bars coloured by verdict: per window over time, or per person.

    Args:
        verdicts_df: the output of `valence.valence_verdict` (any level).
        margin: the verdict margin, drawn as dashed lines at +-margin when given.

    Returns:
        The figure; y is the score (positive minus negative) in [-1, 1], bars coloured by
        verdict (unknown verdict labels in grey) and labelled with it. Level "window": one
        subplot per person, x in seconds; other levels: one bar per person (or the clip).
        Scopes without a face have no bar.
    """
    _require(verdicts_df, ["score", "verdict", "n_faces"], "verdicts_df")
    df = verdicts_df[verdicts_df["n_faces"] > 0]
    persons = _persons(df) if "person" in df.columns else []
    if "window_start_s" in df.columns and persons:
        fig = _person_rows(persons)
        for row, p in enumerate(persons, start=1):
            w = df[df["person"] == p]
            mid = ((w["window_start_s"] + w["window_end_s"]) / 2).to_numpy()
            width = (w["window_end_s"] - w["window_start_s"]).to_numpy() * 0.9
            fig.add_trace(_verdict_bar(w, mid, width, _label(p)), row=row, col=1)
            fig.update_yaxes(range=[-1.05, 1.05], title_text=SCORE_TITLE, row=row, col=1)
        fig.update_xaxes(title_text="time (s)", row=len(persons), col=1)
        fig.update_layout(height=140 + 220 * len(persons))
    else:
        x = [_label(p) for p in df["person"]] if "person" in df.columns else ["clip"] * len(df)
        fig = go.Figure(_verdict_bar(df, x, None, "score"))
        fig.update_layout(yaxis={"range": [-1.05, 1.05], "title": SCORE_TITLE})
    if margin is not None:
        for y in (margin, -margin):
            kw = {"row": "all", "col": 1} if len(fig.data) > 1 else {}
            fig.add_hline(y=y, line_dash="dash", line_color="#888888", line_width=1, **kw)
    fig.update_layout(title="Valence (positive minus negative)")
    return apply_theme(fig)


def confusion_figure(confusion_df: pd.DataFrame, normalize: bool = False) -> go.Figure:
    """A confusion matrix as a heat map, counts written in the cells.

    Args:
        confusion_df: golden classes as rows, predicted classes as columns (e.g.
            `evaluate.Evaluation.confusion`, which adds a "no prediction" column).
        normalize: colour by the share of each golden row (recall) instead of counts.

    Returns:
        The figure, golden on y (first class on top), predicted on x.
    """
    counts = confusion_df.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    z = shares if normalize else counts
    text = [
        [f"{int(c)}" + (f"<br>{s:.0%}" if normalize else "") for c, s in zip(rc, rs, strict=True)]
        for rc, rs in zip(counts, shares, strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=plain_all(confusion_df.columns),
            y=plain_all(confusion_df.index),
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1 if normalize else None,
            colorbar={"title": {"text": "share" if normalize else "count"}},
            hovertemplate="golden %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Confusion matrix",
        xaxis={"title": "predicted", "side": "bottom"},
        yaxis={"title": "golden", "autorange": "reversed", "automargin": True},
    )
    return apply_theme(fig)


#: The legend's key of the turning points (cuts: `core_figures.CUT_KEY`).
CHANGE_KEY = "change of top emotion (dashed line)"
RISE_KEY = "sharp rise (triangle)"
AT_CUT_KEY = "turning point at a cut (grey, dotted)"


def _key(fig: go.Figure, name: str, line: dict | None = None, marker: dict | None = None) -> None:
    mode = "lines" if line else "markers"
    fig.add_trace(go.Scatter(x=[None], y=[None], mode=mode, line=line, marker=marker, name=name))


def add_turning_points(
    fig: go.Figure, turning_points_df: pd.DataFrame, persons: Sequence[float] | None = None
) -> go.Figure:
    """A copy of a timeline figure with turning points marked, each kind drawn its own way.

    Args:
        fig: a figure whose x axis is time in seconds (e.g. `figures.timeline_figure`).
        turning_points_df: the output of `summary.turning_points`; with an `at_cut` column
            (`findings.mark_cuts`), the points at a cut are drawn grey and labelled so.
        persons: the track ids of the figure's subplot rows, top to bottom, to mark each
            person's points in their own row; None marks every point across the figure.

    Returns:
        A new figure: changes as dashed lines ("neutral→happy"), rises as triangles at the
        top of the row ("↑happy +0.45"), coloured by the emotion reached; points at a cut
        as grey dotted lines; a key for each kind in the legend. `fig` is left untouched.
    """
    _require(turning_points_df, ["person", "time_s", "kind", "emotion", "value"], "turning")
    out = go.Figure(fig)
    rows = {float(p): i for i, p in enumerate(persons, start=1)} if persons is not None else {}
    kinds: set[str] = set()
    for tp in turning_points_df.itertuples(index=False):
        at_cut = bool(getattr(tp, "at_cut", False))
        where: dict[str, Any] = {}
        if persons is not None:
            if float(tp.person) not in rows:
                continue
            where = {"row": rows[float(tp.person)], "col": 1}
        color = EMOTION_COLORS.get(str(tp.emotion), "#777777")
        if tp.kind == "change":
            text = f"{_label(tp.person)} {tp.from_emotion}→{tp.emotion}"
        else:
            text = f"{_label(tp.person)} ↑{tp.emotion} +{tp.value:.2f}"
        if at_cut:
            kinds.add("cut")
            out.add_vline(
                x=tp.time_s,
                line={"color": "#B0B0B0", "dash": "dot", "width": 1},
                annotation={"text": text + " (at a cut)", "textangle": -90, "font": {"size": 9}},
                annotation_position="top left",
                **where,
            )
        elif tp.kind == "change":
            kinds.add("change")
            out.add_vline(
                x=tp.time_s,
                line={"color": color, "dash": "dash", "width": 2},
                annotation={"text": text, "textangle": -90, "font": {"size": 10}},
                annotation_position="top left",
                **where,
            )
        else:
            kinds.add("rise")
            out.add_trace(
                go.Scatter(
                    x=[tp.time_s],
                    y=[0.97],
                    mode="markers",
                    marker={"symbol": "triangle-up", "size": 11, "color": color},
                    showlegend=False,
                    hovertemplate=f"{text} at %{{x:.2f}} s<extra></extra>",
                ),
                **where,
            )
    if "change" in kinds:
        _key(out, CHANGE_KEY, line={"color": "#555555", "dash": "dash", "width": 2})
    if "rise" in kinds:
        _key(out, RISE_KEY, marker={"symbol": "triangle-up", "size": 11, "color": "#555555"})
    if "cut" in kinds:
        _key(out, AT_CUT_KEY, line={"color": "#B0B0B0", "dash": "dot", "width": 1})
    return out
