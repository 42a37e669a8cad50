"""`index.html`: one row per clip of a batch, with its thumbnail, facts and link."""

from __future__ import annotations

import datetime as _dt
import html
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from emohelpers.analysis.provenance import model_label
from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.core.atomic import atomic_write
from emohelpers.report.clip_status import UNFINISHED, read_status
from emohelpers.report.sections import KEY_FIGURES_FILE
from emohelpers.report.thumbnail import THUMBNAIL_FILE, make_thumbnail

log = logging.getLogger(__name__)

INDEX_FILE = "index.html"
PARTIAL_NOTEBOOK = "partial-report.ipynb"


@dataclass
class ClipResult:
    """What happened to one clip of a batch.

    Attributes:
        video: the clip.
        folder: its output folder, `out_dir/<name>`.
        ok: whether the report was made.
        error: one line saying why not (None when ok).
        seconds: wall time spent on the clip.
        key_figures: the report's `key_figures.json` (empty when it failed early).
        state: "ok", "failed", or for a clip an interrupted batch left unfinished
            "started" or "queued" (see `clip_status`); "" means "ok" or "failed" by `ok`.
    """

    video: Path
    folder: Path
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    key_figures: dict = field(default_factory=dict)
    state: str = ""

    @classmethod
    def from_folder(cls, folder: Path) -> ClipResult | None:
        """The result recorded in a clip folder (`status.json`, `key_figures.json`), from
        this batch or an earlier one; None for a folder that holds no clip."""
        status = read_status(folder)
        if status is None:
            return None
        state = status["state"]
        key: dict = {}
        try:
            key = json.loads((folder / KEY_FIGURES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        name = status.get("video") or key.get("video") or folder.name
        return cls(
            video=Path(str(name)),
            folder=folder,
            ok=state == "ok",
            error=status.get("error"),
            seconds=float(status.get("seconds") or 0),
            key_figures=key if isinstance(key, dict) else {},
            state=state,
        )

    @property
    def finished(self) -> bool:
        """False for a clip an interrupted batch left queued or started."""
        return self.state not in UNFINISHED

    @property
    def name(self) -> str:
        """The folder's name (unique within the batch)."""
        return self.folder.name

    @property
    def report(self) -> Path:
        """`report.html` (exists only when ok)."""
        return self.folder / "report.html"

    @property
    def notebook(self) -> Path:
        """The executed (or partial) notebook, as papermill wrote it (with machine paths)."""
        return self.folder / "report.ipynb"

    @property
    def partial_notebook(self) -> Path:
        """The partial notebook of a clip that did not succeed, without machine paths."""
        return self.folder / PARTIAL_NOTEBOOK


def _href(result: ClipResult, file: str) -> str:
    return html.escape(f"{quote(result.name)}/{quote(file)}", quote=True)


def _people(key: dict) -> str:
    """Each person's dominant emotion and valence verdict, with their intervals where the
    report recorded them (the findings' texts: "happy 62% [48-75%]"; older reports: the
    plain verdicts)."""
    dominant, verdicts = key.get("dominant") or {}, key.get("verdicts") or {}
    intervals, valence = key.get("dominant_interval") or {}, key.get("valence_interval") or {}
    if not dominant:
        return "no face found"
    parts = []
    for person, emotion in dominant.items():
        text = f"<b>{html.escape(person)}</b> {html.escape(str(intervals.get(person, emotion)))}"
        if person in valence:
            text += f"<br><small>valence: {html.escape(str(valence[person]))}</small>"
        elif verdict := verdicts.get(person):
            text += f" <i>(valence {html.escape(verdict)})</i>"
        parts.append(text)
    return "<br>".join(parts)


def _voice(key: dict) -> str:
    """The voice's dominant emotion, or why there is none (status, no speech)."""
    if key.get("voice_dominant"):
        return html.escape(str(key["voice_dominant"]))
    status = key.get("voice_status")
    if not status:
        return ""
    return "<i>no speech</i>" if status == VoiceStatus.OK else f"<i>{html.escape(str(status))}</i>"


def _row(result: ClipResult) -> str:
    thumb = result.folder / THUMBNAIL_FILE
    img = (
        f'<img src="{_href(result, THUMBNAIL_FILE)}" alt="" width="160">' if thumb.is_file() else ""
    )
    key = result.key_figures
    name = html.escape(result.video.name)
    if result.ok:
        duration = f"{key.get('duration_s') or 0:.1f} s"
        if key.get("truncated"):
            until = key.get("decoded_until_s")
            until = f"{until:.1f} s" if isinstance(until, int | float) else "its start"
            duration += f'<br><b class="warn">truncated</b>: decoded up to {until}'
        status = f'<a href="{_href(result, "report.html")}">report</a>'
        return (
            f"<tr><td>{img}</td><td>{name}</td><td>{duration}</td>"
            f"<td>{key.get('persons', '')}</td><td>{_people(key)}</td>"
            f"<td>{html.escape(model_label(str(key.get('model', ''))))}</td><td>{_voice(key)}</td>"
            f'<td class="ok">{status}<br><small>{result.seconds:.0f} s</small></td></tr>'
        )
    link = ""
    if result.partial_notebook.is_file():
        link = f'<br><a href="{_href(result, PARTIAL_NOTEBOOK)}">partial notebook</a>'
    if not result.finished:
        what = "started, not finished" if result.state == "started" else "not started"
        return (
            f'<tr class="unfinished"><td>{img}</td><td>{name}</td><td></td><td></td><td></td>'
            f'<td colspan="3"><b>{what}</b>: the batch stopped first (interrupted or killed)'
            f"{link}</td></tr>"
        )
    reason = html.escape(result.error or "failed")
    return (
        f'<tr class="failed"><td>{img}</td><td>{name}</td><td></td><td></td><td></td>'
        f'<td colspan="3"><b>failed</b>: {reason}{link}</td></tr>'
    )


_STYLE = """body { font-family: DejaVu Sans, Arial, sans-serif; margin: 2em; color: #333; }
table { border-collapse: collapse; } td, th { padding: 6px 12px; vertical-align: middle;
border-bottom: 1px solid #ddd; text-align: left; } tr.failed td { background: #fdecea; }
tr.unfinished td { background: #fff8e1; } .warn { color: #b26a00; }
img { display: block; border-radius: 3px; }"""


def folder_results(results: Sequence[ClipResult], out_dir: str | Path) -> list[ClipResult]:
    """Every clip of `out_dir`: `results` (this batch) and the clip folders of earlier or
    interrupted batches (their `status.json`), one per folder, sorted by folder name."""
    by_folder = {r.folder.name: r for r in results}
    out = Path(out_dir)
    for folder in sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []:
        if folder.name not in by_folder and (found := ClipResult.from_folder(folder)):
            by_folder[folder.name] = found
    return [by_folder[k] for k in sorted(by_folder)]


def write_index(results: Sequence[ClipResult], out_dir: str | Path) -> Path:
    """Write `out_dir/index.html`: one row per clip of the folder, links relative to it.

    Clips of earlier batches into the same folder are kept (merged, not overwritten), and
    clips an interrupted batch never finished are marked. Written through a temporary name.

    Args:
        results: the batch's results (see `report.run_reports`).
        out_dir: the batch's output folder.

    Returns:
        The index's path.
    """
    for r in results:
        if not (r.folder / THUMBNAIL_FILE).is_file():
            make_thumbnail(r.video, r.folder)
    rows = folder_results(results, out_dir)
    failed = sum(r.finished and not r.ok for r in rows)
    unfinished = sum(not r.finished for r in rows)
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    summary = f"{len(rows)} clip(s), {failed} failed"
    if unfinished:
        summary += f', <b class="warn">{unfinished} not finished</b> (a batch was interrupted)'
    summary += f"; made {stamp}."
    header = "<tr><th></th><th>clip</th><th>duration</th><th>persons</th>"
    header += "<th>dominant emotion [95% interval]; valence</th>"
    header += "<th>model</th><th>voice</th><th></th></tr>"
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>emohelpers reports</title><style>{_STYLE}</style></head><body>"
        f"<h1>Facial expressions: reports</h1><p>{summary}</p>"
        f"<table>{header}{''.join(_row(r) for r in rows)}</table></body></html>\n"
    )
    return atomic_write(Path(out_dir) / INDEX_FILE, page)
