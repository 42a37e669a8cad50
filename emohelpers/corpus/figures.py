"""Figures of a corpus: builders from `clips.parquet`'s table to Plotly figures (no I/O).

Metadata values, column names and labels come from the user's files: each goes through
`figures.text.plain`, so that Plotly shows it as written, never as markup.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from emohelpers.analysis.table import EMOTIONS
from emohelpers.figures.text import plain, plain_all
from emohelpers.figures.theme import EMOTION_COLORS, NO_PERSON_COLOR, apply_theme

NO_FACE = "no face"
VERDICT_COLORS: dict[str, str] = {
    "positive": "#228833",
    "neutral": "#999999",
    "negative": "#CC3311",
    NO_FACE: NO_PERSON_COLOR,
}
STATUS_COLORS: dict[str, str] = {"ok": "#228833", "failed": "#CC3311", "pending": "#BBBBBB"}


def _done(clips: pd.DataFrame) -> pd.DataFrame:
    return clips.loc[clips["status"] == "ok"]


def _counts(values: pd.Series, order: list[str]) -> pd.Series:
    """Counts of `values` (NaN as `NO_FACE`) in `order`, then any other values."""
    counted = values.astype(object).where(values.notna(), NO_FACE).value_counts()
    order = [o for o in order if o in counted.index] + sorted(set(counted.index) - set(order))
    return counted.reindex(order)


def status_figure(clips: pd.DataFrame) -> go.Figure:
    """Clips per status (ok, of which skipped; failed; pending), one horizontal bar each."""
    ran = clips.loc[(clips["status"] == "ok") & ~clips["skipped"].fillna(False).astype(bool)]
    parts = {
        "analysed in this run": len(ran),
        "finished earlier (skipped)": int((clips["status"] == "ok").sum()) - len(ran),
        "failed": int((clips["status"] == "failed").sum()),
        "not run (interrupted)": int((clips["status"] == "pending").sum()),
    }
    colors = ["#228833", "#88BB88", STATUS_COLORS["failed"], STATUS_COLORS["pending"]]
    fig = go.Figure(
        go.Bar(
            x=list(parts.values()),
            y=list(parts),
            orientation="h",
            marker_color=colors,
            text=list(parts.values()),
        )
    )
    fig.update_layout(
        title=f"{len(clips)} clips",
        xaxis_title="clips",
        height=260,
        yaxis={"autorange": "reversed"},
    )
    return apply_theme(fig)


def _count_bars(values: pd.Series, order: list[str], colors: dict[str, str], title: str):
    """Finished clips counted by a column's values, one coloured bar per value."""
    counts = _counts(values, order)
    fig = go.Figure(
        go.Bar(
            x=plain_all(counts.index),
            y=counts.to_numpy(),
            marker_color=[colors.get(v, NO_PERSON_COLOR) for v in counts.index],
            text=counts.to_numpy(),
        )
    )
    fig.update_layout(title=title, yaxis_title="clips")
    return apply_theme(fig)


def dominant_figure(clips: pd.DataFrame) -> go.Figure:
    """Finished clips by the main person's dominant emotion ("no face": nobody tracked)."""
    return _count_bars(
        _done(clips)["dominant"],
        [*EMOTIONS, NO_FACE],
        EMOTION_COLORS,
        "Dominant emotion of the main person",
    )


def verdict_figure(clips: pd.DataFrame) -> go.Figure:
    """Finished clips by the main person's valence verdict."""
    return _count_bars(
        _done(clips)["verdict"],
        list(VERDICT_COLORS),
        VERDICT_COLORS,
        "Valence verdict of the main person",
    )


def coverage_figure(clips: pd.DataFrame) -> go.Figure:
    """Histogram of face coverage (share of analysed frames with a face) over finished clips."""
    cov = 100 * _done(clips)["face_coverage"].astype(float)
    fig = go.Figure(
        go.Histogram(x=cov, xbins={"start": 0, "end": 100.001, "size": 10}, marker_color="#4477AA")
    )
    fig.update_layout(
        title="Face coverage",
        xaxis_title="analysed frames with a face, %",
        yaxis_title="clips",
        xaxis_range=[0, 100],
    )
    return apply_theme(fig)


def group_figure(clips: pd.DataFrame, column: str) -> go.Figure:
    """Per value of a metadata column: shares of dominant emotions (stacked), and the mean
    face coverage in the hover text."""
    done = _done(clips).copy()
    done[column] = done[column].astype(object).where(done[column].notna(), "(none)")
    done["dominant"] = done["dominant"].astype(object).where(done["dominant"].notna(), NO_FACE)
    groups = sorted(done[column].unique(), key=str)
    share = pd.crosstab(done[column], done["dominant"], normalize="index").reindex(groups)
    n = done.groupby(column).size().reindex(groups)
    cov = done.groupby(column)["face_coverage"].mean().reindex(groups)
    fig = go.Figure()
    for emotion in [e for e in [*EMOTIONS, NO_FACE] if e in share.columns]:
        fig.add_bar(
            x=plain_all(groups),
            y=100 * share[emotion].to_numpy(),
            name=emotion,
            marker_color=EMOTION_COLORS.get(emotion, NO_PERSON_COLOR),
            customdata=np.stack([n.to_numpy(), 100 * cov.to_numpy(dtype=float)], axis=1),
            hovertemplate="%{x}: %{y:.0f}% "
            + emotion
            + "<br>%{customdata[0]} clips, face coverage %{customdata[1]:.0f}%<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        title=f"Dominant emotion per {plain(column)}",
        xaxis_title=plain(column),
        yaxis_title="clips, %",
    )
    return apply_theme(fig)


def confusion_figure(confusion: pd.DataFrame, title: str = "Confusion") -> go.Figure:
    """A confusion matrix (rows: golden labels, columns: predictions) as a heatmap."""
    z = confusion.to_numpy(dtype=float)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=plain_all(confusion.columns),
            y=plain_all(confusion.index),
            colorscale="Blues",
            text=z.astype(int),
            texttemplate="%{text}",
        )
    )
    fig.update_layout(
        title=plain(title),
        xaxis_title="predicted",
        yaxis_title="golden",
        yaxis={"autorange": "reversed"},
    )
    return apply_theme(fig)
