"""The report's highlight reels: for each main person, the emotions that peak highest (other
than neutral) as short clips of their strongest moments with sound, beside the report.

Reels are written to `<out_dir>/reels/` and referenced by a relative path, like the
annotated video, so that the page stays small and plays offline (H.264 yuv420p + AAC).
It is the report notebook's section "reels".
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from IPython.display import HTML, Markdown, display

from emohelpers.analysis.table import CHANCE, EMOTIONS, Analysis
from emohelpers.figures.reels import DEFAULT_SPAN_S, highlight_reel
from emohelpers.figures.theme import person_label
from emohelpers.report.html import video_html
from emohelpers.summaries.moments import strongest_moments
from emohelpers.summaries.summary import main_persons

log = logging.getLogger(__name__)

REELS_FOLDER = "reels"


def reel_choices(analysis: Analysis, max_persons: int = 4, per_person: int = 2) -> list[tuple]:
    """(person, emotion, peak probability) of the reels worth making: for each main person,
    the `per_person` non-neutral emotions with the highest peak probability above chance
    (`summaries.moments`; ties in `EMOTIONS` order)."""
    peaks = strongest_moments(
        analysis.table,
        persons=main_persons(analysis.table, max_persons),
        emotions=[e for e in EMOTIONS if e != "neutral"],
        min_prob=CHANCE,
        per_person=per_person,
    )
    out = []
    for person, mine in peaks.groupby("person", sort=False):  # main persons first
        mine = mine.sort_values("probability", ascending=False, kind="stable")
        out += [
            (float(person), str(e), float(v))
            for e, v in mine[["emotion", "probability"]].to_numpy()
        ]
    return out


def show_reels(analysis: Analysis, params: Any, per_person: int = 1) -> dict[tuple, Path]:
    """Make and show the reels (see the module docstring).

    Args:
        analysis: the clip's analysis.
        params: the report's parameters (`video`, `out_dir`, `max_persons` are used).
        per_person: reels per person.

    Returns:
        (person, emotion) -> the reel's path.
    """
    if "reels" not in params.sections:
        display(Markdown("*Section `reels` not included (parameter `sections`).*"))
        return {}
    choices = reel_choices(analysis, params.max_persons, per_person)
    if not choices:
        display(Markdown("*No face with an expression above chance: no highlight reel.*"))
        return {}
    display(
        Markdown(
            f"Each person's strongest moments of their most intense expressions: "
            f"{DEFAULT_SPAN_S:g} s around each of the three highest peaks, with sound."
        )
    )
    made, video = {}, analysis.video_file(params.video)
    for person, emotion, peak in choices:
        name = f"reel-{person_label(person)}-{emotion}.mp4"
        out = Path(params.out_dir) / REELS_FOLDER / name
        if highlight_reel(video, analysis.table, person, emotion, out) is None:
            continue
        made[(person, emotion)] = out
        title = html.escape(f"{person_label(person)}: {emotion} (peak {peak:.2f})")
        display(HTML(f"<h4>{title}</h4>" + video_html(f"{REELS_FOLDER}/{name}", width=480)))
    return made
