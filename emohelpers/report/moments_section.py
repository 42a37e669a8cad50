"""Section "radar" of the per-clip report: each person's mean radar, and their strongest
moments, only for the emotions that reach a threshold (`moment_min_prob`), in a compact
grid of frames that seek the player; the other emotions get one line ("disgust never
above 0.02")."""

from __future__ import annotations

import html
import math

import pandas as pd
from IPython.display import HTML, Markdown, display

from emohelpers.analysis.frames import read_frames
from emohelpers.analysis.table import Analysis
from emohelpers.core.images import image_data_uri
from emohelpers.figures import core_figures as figures
from emohelpers.figures.drawing import draw_boxes
from emohelpers.figures.theme import person_label
from emohelpers.report.html import figure_html
from emohelpers.report.parameters import ReportParameters
from emohelpers.report.verdicts import for_verdicts
from emohelpers.summaries.moments import strongest_moments
from emohelpers.summaries.summary import main_persons


def split_moments(moments: pd.DataFrame, min_prob: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the moments whose probability reaches `min_prob`, the others)."""
    shown = moments["probability"] >= min_prob
    return moments[shown], moments[~shown]


def never_line(person: float, rest: pd.DataFrame, min_prob: float) -> str:
    """One line for the emotions that stay below `min_prob`: "disgust never above 0.02"."""
    if rest.empty:
        return ""
    parts = [
        f"{r.emotion} never above {math.ceil(r.probability * 100) / 100:.2f}"
        for r in rest.sort_values("probability", ascending=False).itertuples()
    ]
    return (
        f"<p><b>{person_label(person)}</b>, below {min_prob:g}: {html.escape(', '.join(parts))}</p>"
    )


def moments_grid(video, table: pd.DataFrame, shown: pd.DataFrame, width: int = 240) -> str:
    """The strongest moments as a grid of boxed frames; a click seeks the player there."""
    frames = read_frames(video, shown["frame"].unique())
    by_frame = dict(tuple(table.groupby("frame")))
    cells = []
    for r in shown.sort_values(["person", "probability"], ascending=[True, False]).itertuples():
        if r.frame not in frames:
            continue
        uri = image_data_uri(draw_boxes(frames[r.frame], by_frame[r.frame]), width=width)
        caption = f"{person_label(r.person)} {r.emotion} {r.probability:.2f} at {r.time_s:.2f} s"
        cells.append(
            f'<figure data-emo-seek="{r.time_s:.3f}" title="play from here">'
            f'<img src="{uri}" alt="frame {r.frame}"><figcaption>{html.escape(caption)}'
            "</figcaption></figure>"
        )
    return f'<div class="emo-grid">{"".join(cells)}</div>'


def show_radars(analysis: Analysis, params: ReportParameters) -> dict:
    """Section "radar": the mean radar, then the strongest moments reaching the threshold."""
    if "radar" not in params.sections:
        display(Markdown("*Section `radar` not included (parameter `sections`).*"))
        return {}
    table = for_verdicts(analysis, params).table
    if table["person"].isna().all():
        display(Markdown("*No face was found in the analysed frames: no radar to show.*"))
        return {}
    persons = main_persons(table, params.max_persons)
    moments = strongest_moments(table, persons=persons)
    shown, rest = split_moments(moments, params.moment_min_prob)
    radar = figure_html(figures.person_radar_figure(table), height=380)
    lines = "".join(
        never_line(p, rest[rest["person"] == p], params.moment_min_prob) for p in persons
    )
    grid = (
        moments_grid(analysis.video_file(params.video), table, shown)
        if len(shown)
        else f"<p><i>No emotion reaches {params.moment_min_prob:g}.</i></p>"
    )
    note = ""
    if table["person"].nunique() > len(persons):
        note = f"<p><i>The {len(persons)} most seen persons (parameter max_persons).</i></p>"
    display(
        HTML(
            '<div class="emo-player-row"><div class="emo-player-radar">'
            f'{radar}</div><div class="emo-player-video">{note}{grid}{lines}</div></div>'
        )
    )
    return {"shown": shown, "rest": rest}
