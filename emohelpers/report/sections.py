"""The sections of the per-clip report, as functions the report notebook calls.

Each `show_*` function displays one section (figures, tables, images) in the running
notebook and returns what it showed, so that the notebook stays a list of calls plus
narrative. The pure parts (`clip_facts`, `key_frames`, `key_figures`, ...) need no notebook.

Reports must work offline and anywhere: Plotly figures are rendered by
`index_page.OfflineRenderer` (plotly.js embedded once per page, no CDN, no MathJax; call
`use_offline_plotly()` first), images are embedded as data URIs,
the annotated video is referenced by its file name, relative to the report, and nothing
shows an absolute path of the machine.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from emohelpers.analysis.frames import read_frames
from emohelpers.analysis.table import EMOTIONS, Analysis
from emohelpers.core.images import image_data_uri
from emohelpers.figures import core_figures as figures
from emohelpers.figures.drawing import draw_boxes
from emohelpers.figures.theme import person_label
from emohelpers.report.findings_section import findings, findings_figures
from emohelpers.report.key_figures_file import KEY_FIGURES_FILE, write_key_figures  # noqa: F401
from emohelpers.report.moments_section import show_radars  # noqa: F401 (the notebook's rs.*)
from emohelpers.report.parameters import ReportParameters
from emohelpers.report.player_section import (  # noqa: F401 (the notebook's rs.*)
    ANNOTATED_VIDEO,
    show_timelines,
    show_video,
)
from emohelpers.report.summaries_section import show_summaries  # noqa: F401 (rs.*)
from emohelpers.report.thumbnail import make_thumbnail
from emohelpers.summaries.clip_summary import clip_summary, summarise_analysis
from emohelpers.summaries.moments import strongest_moments

log = logging.getLogger(__name__)

# --- pure helpers --------------------------------------------------------------------------


def _shots_fact(table: pd.DataFrame, tracker: dict) -> str:
    """Shots and their cut times, e.g. "3 (cuts at 5.00 s, 7.00 s)"."""
    cuts = tracker.get("shots", {}).get("cuts_s", [])
    n = int(table["shot"].max()) + 1 if len(table) else 1
    shown = ", ".join(f"{t:.2f} s" for t in cuts[:8]) + (", ..." if len(cuts) > 8 else "")
    return f"{n} (cuts at {shown})" if cuts else str(n)


def _tracking_fact(trk) -> str:
    """The tracking settings in words (`TrackerSettings`)."""
    reid = (
        f"re-identification by face (dlib, distance < {trk.reid_max_distance:g})"
        if trk.reid
        else "no re-identification"
    )
    return (
        f"gap {trk.max_gap_s:g} s or {trk.max_gap_frames} sampling intervals, overlap >= "
        f"{trk.iou_min:g}, cut threshold {trk.shot_threshold:g}; {reid}"
    )


def clip_facts(analysis: Analysis, min_quality: float = 0.0) -> pd.DataFrame:
    """The clip and how it was analysed, from the provenance: one (fact, value) per row.

    Only the video's file name is shown, never a path of the machine (a local model folder
    by its name). A video that ended early (truncated or damaged) gets a "truncated" fact.
    """
    table, prov = analysis
    video, figures = prov.video, summarise_analysis(analysis, min_quality=min_quality)
    sampling, clf, det = prov.settings.sampling, prov.classifier, prov.detector
    frames, face_frames = figures.frames_analysed, figures.frames_with_face
    if sampling.get("fps"):
        how = f"{sampling['fps']:g} frames per second of video"
    else:
        n = sampling.get("every_n") or 1
        how = "every frame" if n == 1 else f"every {n}th frame"
    span = [sampling.get("start_s"), sampling.get("end_s")]
    if any(v is not None for v in span):
        how += f", from {span[0] or 0:g} s to {span[1] if span[1] is not None else 'the end'}"
    facts = {
        "video": video.get("name", "?"),
        "duration": f"{video.get('duration_s', float('nan')):.2f} s",
        "frame rate": f"{video.get('fps', float('nan')):.3f} fps",
        "size": f"{video.get('width', '?')} × {video.get('height', '?')} px",
        "frames analysed": f"{frames} ({how})",
        "face coverage": f"{face_frames} of {frames} frames ({figures.face_coverage or 0:.0%})",
        "persons": str(figures.n_persons),
        "face quality": f"{figures.faces_left_out} of {figures.faces} faces below "
        f"min_quality {min_quality:g}: left out of every verdict",
        "shots": _shots_fact(table, prov.tracker),
        "tracking": _tracking_fact(prov.settings.tracker),
        "expression model": f"{prov.model_label} (revision {clf.get('revision', '?')})",
        "face detector": f"{det.get('name', '?')}, min face {det.get('min_face_px', '?')} px, "
        f"min confidence {det.get('min_det_prob', '?')}",
        "device": prov.device or "?",
        "analysis time": f"{figures.analysis_seconds or float('nan'):.1f} s",
        "analysed on": prov.created_utc or "?",
    }
    if prov.truncated:
        facts["truncated"] = truncation_note(prov.video)
    return pd.DataFrame({"fact": list(facts), "value": list(facts.values())})


def truncation_note(video: dict[str, Any]) -> str:
    """One phrase on a video that ended early: how far it was decoded, of how much."""
    until = video.get("decoded_until_s")
    claimed = video.get("duration_s")
    where = f"{until:.2f} s" if isinstance(until, int | float) else "its first frame"
    of = f" of the {claimed:.2f} s its file claims" if isinstance(claimed, int | float) else ""
    return f"yes: the video ends early (cut or damaged); decoded up to {where}{of}"


def key_frames(table: pd.DataFrame, n: int) -> list[int]:
    """`n` analysed frames evenly spaced in time (first and last included)."""
    frames = np.unique(table["frame"].to_numpy())
    if n <= 0 or not len(frames):
        return []
    picks = np.linspace(0, len(frames) - 1, min(n, len(frames))).round().astype(int)
    return [int(frames[i]) for i in np.unique(picks)]


def detail_frame(table: pd.DataFrame, wanted: int | None = None) -> int | None:
    """The frame of the detail view: the analysed frame nearest `wanted`, or by default the
    frame of the strongest non-neutral expression (`summaries.moments`, ties: the earliest
    frame); None when no face was found."""
    if table["person"].isna().all():
        return None
    if wanted is not None:
        frames = np.unique(table["frame"].to_numpy())
        return int(frames[np.abs(frames - wanted).argmin()])
    peaks = strongest_moments(table, emotions=[e for e in EMOTIONS if e != "neutral"])
    best = peaks.sort_values(["probability", "frame"], ascending=[False, True], kind="stable")
    return int(best["frame"].iloc[0])


def person_summary(table: pd.DataFrame, margin: float = 0.1, mapping: str = "default"):
    """Per person (by id): dominant emotion (by vote) and valence verdict (`ClipSummary`).

    Returns:
        A DataFrame with `person` (label), `face_frames`, `dominant`, `score`, `verdict`.
    """
    people = clip_summary(table, mapping=mapping, margin=margin).persons
    return pd.DataFrame(
        {
            "person": [p.label for p in people],
            "face_frames": [p.face_frames for p in people],
            "dominant": [p.dominant for p in people],
            "score": [p.valence_score for p in people],
            "verdict": [p.verdict for p in people],
        }
    )


def key_figures(analysis: Analysis, params: ReportParameters) -> dict[str, Any]:
    """The report's key figures (what tests and the index read), JSON-ready: the video's
    facts, the clip's `ClipSummary` (`as_dict`) and the report's own settings."""
    prov = analysis.provenance
    figures = summarise_analysis(
        analysis,
        params.valence_mapping,
        params.valence_margin,
        min_quality=params.settings.min_quality,
    )
    video = prov.video
    return {
        "video": video.get("name"),
        "duration_s": video.get("duration_s"),
        "fps": video.get("fps"),
        "size": [video.get("width"), video.get("height")],
        "model": prov.model_label,
        "truncated": prov.truncated,
        "decoded_until_s": prov.video.get("decoded_until_s"),
        "sampling": prov.settings.sampling,
        "min_quality": params.settings.min_quality,
        **figures.as_dict(),
        **findings_figures(findings(analysis, params)),
        "sections": list(params.sections),
        "annotated_video": ANNOTATED_VIDEO if "video" in params.sections else None,
    }


# --- sections ------------------------------------------------------------------------------


def _skipped(params: ReportParameters, section: str) -> bool:
    if section in params.sections:
        return False
    display(Markdown(f"*Section `{section}` not included (parameter `sections`).*"))
    return True


def _note(text: str) -> None:
    display(Markdown(f"*{text}*"))


def _table(df: pd.DataFrame, **kwargs: Any) -> None:
    """Display a table as plain HTML, persons as labels, floats with two decimals."""
    if "person" in df and "name" in df:  # the cast's names beside the ids
        df = df.assign(
            person=[person_label(p, n) for p, n in zip(df["person"], df["name"], strict=True)]
        ).drop(columns="name")
    elif "person" in df:
        df = df.assign(person=df["person"].map(person_label))
    html_table = df.to_html(
        index=False, float_format="{:.2f}".format, border=0, na_rep="", **kwargs
    )
    display(HTML(html_table))


def show_clip(analysis: Analysis, params: ReportParameters) -> pd.DataFrame | None:
    """Section "clip": the clip's facts and the analysis settings."""
    if _skipped(params, "clip"):
        return None
    facts = clip_facts(analysis, params.settings.min_quality)
    _table(facts, header=False, classes="emo-facts")
    return facts


def show_bars(analysis: Analysis, params: ReportParameters) -> list:
    """Section "bars": one frame in detail, each face's crop beside its seven bars."""
    if _skipped(params, "bars"):
        return []
    table = analysis.table
    frame = detail_frame(table, params.bars_frame)
    if frame is None:
        _note("No face was found in the analysed frames: no detail to show.")
        return []
    if params.bars_frame is not None and frame != params.bars_frame:
        _note(f"Frame {params.bars_frame} was not analysed; showing the nearest, {frame}.")
    rgb = read_frames(analysis.video_file(params.video), [frame]).get(frame)
    if rgb is None:
        _note(f"Frame {frame} could not be decoded.")
        return []
    rows = table[table["frame"] == frame].dropna(subset=["person"])
    shown = []
    for _, row in rows.iterrows():
        fig = figures.frame_bars_figure(rgb, row)
        display(fig)
        shown.append(fig)
    return shown


def gallery_html(video: str | Path, table: pd.DataFrame, n: int, width: int = 320) -> str:
    """HTML of a grid of `n` key frames with boxes, person ids and top emotions."""
    picks = key_frames(table, n)
    frames = read_frames(video, picks)
    by_frame = dict(tuple(table.groupby("frame")))
    cells = []
    for f in picks:
        if f not in frames:
            continue
        rows = by_frame[f]
        faces = rows.dropna(subset=["person"])
        caption = ", ".join(f"{person_label(r.person)} {r.emotion}" for r in faces.itertuples())
        uri = image_data_uri(draw_boxes(frames[f], rows), width=width)
        cells.append(
            f'<figure style="margin:0" data-emo-seek="{rows["time_s"].iloc[0]:.3f}">'
            f'<img src="{uri}" style="width:100%" alt="frame {f}">'
            f'<figcaption style="font-size:0.85em">{rows["time_s"].iloc[0]:.2f} s · '
            f"{html.escape(caption or 'no face')}</figcaption></figure>"
        )
    grid = f"display:grid;grid-template-columns:repeat(auto-fill,minmax({width - 80}px,1fr));"
    return f'<div class="emo-gallery" style="{grid}gap:10px">{"".join(cells)}</div>'


def show_gallery(analysis: Analysis, params: ReportParameters) -> str | None:
    """Section "gallery": key frames evenly spaced over the clip."""
    if _skipped(params, "gallery"):
        return None
    if params.gallery_size == 0:
        _note("Gallery switched off (parameter `gallery_size` = 0).")
        return None
    page = gallery_html(analysis.video_file(params.video), analysis.table, params.gallery_size)
    display(HTML(page))
    return page


def _rounded(value: Any) -> str:
    """A key figure as text: numbers rounded, mappings as "P1: happy", lists joined."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_rounded(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list | tuple):
        return ", ".join(_rounded(v) for v in value)
    return str(value)


def key_figures_table(figs: dict[str, Any]) -> pd.DataFrame:
    """The key figures as a (figure, value) table, rounded for reading (the JSON file keeps
    them whole)."""
    rows = {k: _rounded(v) for k, v in figs.items()}
    return pd.DataFrame({"figure": list(rows), "value": list(rows.values())})


def record_key_figures(analysis: Analysis, params: ReportParameters) -> dict[str, Any]:
    """Write `key_figures.json` into the output folder and display the figures rounded."""
    figs = key_figures(analysis, params)
    write_key_figures(params.out_dir, figs)  # written whole: the runner reads it
    # The index's thumbnail, here from the clip's source the sections already opened.
    make_thumbnail(Path(params.video), Path(params.out_dir))
    _table(key_figures_table(figs), header=False, classes="emo-facts")
    return figs
