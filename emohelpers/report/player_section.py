"""Sections "video" and "timelines" of the per-clip report: the synchronised player (the
annotated video beside the live radar) and the timelines its cursor runs over.

The page's script (`page_script`) ties them together in the exported HTML: a cursor on
every timeline follows playback, a click on a timeline, a turning point or a strongest
moment seeks the video, and the radar follows the frame shown.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
from IPython.display import HTML, Markdown, display

from emohelpers.analysis.table import Analysis
from emohelpers.figures import core_figures as figures
from emohelpers.figures.player_figures import live_radar_figure
from emohelpers.figures.render import render_annotated_video
from emohelpers.report.html import figure_html, video_html
from emohelpers.report.parameters import ReportParameters

ANNOTATED_VIDEO = "annotated.mp4"


def player_html(analysis: Analysis, file_name: str = ANNOTATED_VIDEO) -> str:
    """The player: the video beside the live radar (`figures.player_figures`)."""
    table = analysis.table
    start_s = float(table["time_s"].min())
    radar = ""
    if table["person"].notna().any():
        radar = figure_html(live_radar_figure(table))
    return (
        f'<div class="emo-player-row"><div class="emo-player-video">'
        f"{video_html(file_name, start_s=start_s)}</div>"
        f'<div class="emo-player-radar">{radar}</div></div>'
    )


def show_video(analysis: Analysis, params: ReportParameters) -> Path | None:
    """Section "video": render the annotated video into the output folder and show it as
    the page's player (frames as `params.annotated_frames` says)."""
    if "video" not in params.sections:
        display(Markdown("*Section `video` not included (parameter `sections`).*"))
        return None
    out = Path(params.out_dir) / ANNOTATED_VIDEO
    video = analysis.video_file(params.video)
    render_annotated_video(
        video,
        analysis.table,
        out,
        radar=params.radar,
        frames_mode=params.annotated_frames,
        progress=False,
    )
    display(HTML(player_html(analysis)))
    return out


def show_timelines(analysis: Analysis, params: ReportParameters) -> go.Figure | None:
    """Section "timelines": the seven probabilities over time, one panel per person, shot
    cuts as grey lines (keyed)."""
    if "timelines" not in params.sections:
        display(Markdown("*Section `timelines` not included (parameter `sections`).*"))
        return None
    cuts_s = analysis.provenance.tracker.get("shots", {}).get("cuts_s")
    fig = figures.timeline_figure(
        analysis.table, cuts_s=cuts_s, min_quality=params.settings.min_quality
    )
    display(fig)
    return fig
