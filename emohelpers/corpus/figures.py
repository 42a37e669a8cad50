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
from emohelpers.summaries.compare import Comparison, compare

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


def _ran(clips: pd.DataFrame) -> pd.Series:
    """Finished clips that ran in this run (not skipped)."""
    return (clips["status"] == "ok") & ~clips["skipped"].fillna(False).astype(bool)


def status_parts(clips: pd.DataFrame) -> dict[str, int]:
    """Clips per part of the status figure, in its order (every clip in exactly one)."""
    reused = clips.get("reused", pd.Series(False, index=clips.index)).fillna(False).astype(bool)
    ran = _ran(clips)
    return {
        "analysed in this run": int((ran & ~reused).sum()),
        "saved analysis reused": int((ran & reused).sum()),
        "finished earlier (skipped)": int((clips["status"] == "ok").sum() - ran.sum()),
        "failed": int((clips["status"] == "failed").sum()),
        "not run (interrupted)": int((clips["status"] == "pending").sum()),
    }


def _bar_text(fig: go.Figure) -> go.Figure:
    """Counts outside their bars, never clipped; axes that make room for their labels."""
    fig.update_traces(textposition="outside", cliponaxis=False, selector={"type": "bar"})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def status_figure(clips: pd.DataFrame) -> go.Figure:
    """Clips per status (analysed in this run, from a saved analysis, skipped; failed;
    pending), one horizontal bar each, its count beside it."""
    parts = status_parts(clips)
    colors = ["#228833", "#55AA66", "#88BB88", STATUS_COLORS["failed"], STATUS_COLORS["pending"]]
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
        height=300,
        yaxis={"autorange": "reversed"},
        xaxis={"range": [0, max(1, *parts.values()) * 1.15]},
    )
    return _bar_text(apply_theme(fig))


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
    fig.update_layout(
        title=title, yaxis_title="clips", yaxis_range=[0, max(1, counts.max()) * 1.15]
    )
    return _bar_text(apply_theme(fig))


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


#: Edges of the face-coverage bins, %: [0, 10), [10, 20), ..., [90, 100] (100% included).
COVERAGE_EDGES = np.arange(0, 101, 10)


def coverage_counts(coverage: pd.Series) -> np.ndarray:
    """Clips per face-coverage bin (`COVERAGE_EDGES`; coverage in [0, 1], NaN left out):
    the last bin is closed, so a clip at 100% is counted in [90, 100]."""
    # Rounded first: 0.7 * 100 must land in [70, 80), whatever the float error.
    pct = np.round(100 * coverage.dropna().to_numpy(dtype=float), 9)
    counts, _ = np.histogram(np.clip(pct, 0, 100), bins=COVERAGE_EDGES)
    return counts


def coverage_figure(clips: pd.DataFrame) -> go.Figure:
    """Finished clips by face coverage (share of analysed frames with a face), in bins of
    10% with the last one closed (`coverage_counts`): every clip in one bar, its count on it."""
    counts = coverage_counts(_done(clips)["face_coverage"].astype(float))
    lo, hi = COVERAGE_EDGES[:-1], COVERAGE_EDGES[1:]
    labels = [f"{a}-{b}%" for a, b in zip(lo, hi, strict=True)]
    fig = go.Figure(
        go.Bar(
            x=(lo + hi) / 2,
            y=counts,
            width=10,
            marker_color="#4477AA",
            marker_line={"color": "white", "width": 1},
            text=[str(c) if c else "" for c in counts],
            customdata=labels,
            hovertemplate="%{customdata}: %{y} clip(s)<extra></extra>",
        )
    )
    fig.update_layout(
        title="Face coverage",
        xaxis={"title": "analysed frames with a face, %", "range": [0, 100], "dtick": 10},
        yaxis={"title": "clips", "range": [0, max(1, counts.max()) * 1.15]},
        bargap=0,
    )
    return _bar_text(apply_theme(fig))


def group_units(clips: pd.DataFrame) -> pd.DataFrame:
    """The finished clips as units of `summaries.compare` (the main person of each clip)."""
    return _done(clips).assign(clip=_done(clips)["clip"].astype(str))


def _tick(name: str, n: int, small: bool) -> str:
    return f"{plain(name)}<br>n={n}" + (" (too few)" if small else "")


def group_figure(
    clips: pd.DataFrame, column: str, comparison: Comparison | None = None
) -> go.Figure:
    """Per group of a metadata column: the share of clips per dominant emotion of their main
    person, with its clip-bootstrap interval (error bars) and its count on each bar; each
    group's number of clips under its name (see `summaries.compare`)."""
    c = comparison or compare(group_units(clips), column)
    shares = c.shares
    sizes = c.valence.set_index("group")
    groups = list(sizes.index)
    ticks = [_tick(g, int(sizes.loc[g, "n_units"]), bool(sizes.loc[g, "small"])) for g in groups]
    present = shares.groupby("emotion")["count"].sum()
    fig = go.Figure()
    for emotion in [e for e in EMOTIONS if present.get(e, 0) > 0]:
        rows = shares.loc[shares["emotion"] == emotion].set_index("group").reindex(groups)
        pct, lo, hi = (100 * rows[k].to_numpy(float) for k in ("share", "share_lo", "share_hi"))
        fig.add_bar(
            x=ticks,
            y=pct,
            name=emotion,
            marker_color=EMOTION_COLORS.get(emotion, NO_PERSON_COLOR),
            error_y={"type": "data", "array": hi - pct, "arrayminus": pct - lo, "width": 3},
            text=rows["count"].astype(int).astype(str).to_numpy(),
            customdata=np.stack([rows["n_units"], lo, hi], axis=1),
            hovertemplate=f"%{{x}}<br>{emotion}: %{{text}} of %{{customdata[0]}} clips, "
            "%{y:.0f}% [%{customdata[1]:.0f}-%{customdata[2]:.0f}%]<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        title=f"Dominant emotion per {plain(column)} (bars: 95% intervals)",
        xaxis_title=plain(column),
        yaxis={"title": "clips, %", "range": [0, 115]},
        legend_title_text="emotion",
    )
    return _bar_text(apply_theme(fig))


def valence_group_figure(comparison: Comparison) -> go.Figure:
    """Mean valence score of the main persons per group, with its clip-bootstrap interval;
    each group's number of clips on its bar."""
    v = comparison.valence
    ticks = [
        _tick(g, int(n), bool(s))
        for g, n, s in zip(v["group"], v["n_units"], v["small"], strict=True)
    ]
    mean = v["mean"].to_numpy(float)
    fig = go.Figure(
        go.Bar(
            x=ticks,
            y=mean,
            marker_color=["#228833" if m > 0 else "#CC3311" for m in mean],
            error_y={
                "type": "data",
                "array": v["mean_hi"].to_numpy(float) - mean,
                "arrayminus": mean - v["mean_lo"].to_numpy(float),
                "width": 4,
            },
            text=[f"n={n}" for n in v["n_units"]],
            hovertemplate="%{x}: mean %{y:.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Mean valence per {plain(comparison.group)} (bars: 95% intervals)",
        xaxis_title=plain(comparison.group),
        yaxis={"title": "valence score", "range": [-1.15, 1.15], "zeroline": True},
    )
    return _bar_text(apply_theme(fig))


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
        xaxis={"title": {"text": "predicted", "standoff": 12}, "automargin": True},
        yaxis={"title": {"text": "golden", "standoff": 12}, "autorange": "reversed"},
    )
    fig.update_yaxes(automargin=True)
    return apply_theme(fig)
