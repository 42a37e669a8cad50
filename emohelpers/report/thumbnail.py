"""The index's thumbnail of a clip: a frame with its face boxes, from the clip's one source.

Made by the report's kernel, beside the key figures (so that a report opens its clip no
more often than the analysis and the sections do), and by the index for a clip whose report
made none (a failed clip).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from emohelpers.analysis.shared import shared_source
from emohelpers.analysis.table import Analysis
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import EmoError
from emohelpers.figures.drawing import draw_boxes

log = logging.getLogger(__name__)

THUMBNAIL_FILE = "thumb.jpg"


def make_thumbnail(video: Path, folder: Path, width: int = 200) -> Path | None:
    """Write `folder/thumb.jpg`: a frame with its face boxes when the clip's analysis is
    saved there, else the first frame; None when the video cannot be read."""
    try:
        try:
            table = Analysis.load(folder).table
            faces = table.dropna(subset=["person"])
            rows = table if faces.empty else faces
            frame = int(rows["frame"].iloc[len(rows) // 2])
            rows = table[table["frame"] == frame]
        except EmoError:
            frame, rows = 0, None
        draw = (lambda rgb: draw_boxes(rgb, rows)) if rows is not None else None
        rgb = shared_source(video).thumbnail(frame, width, draw)
        if rgb is None:
            return None
        image = Image.fromarray(rgb)
        return atomic_write(folder / THUMBNAIL_FILE, lambda p: image.save(p, "JPEG", quality=80))
    except (EmoError, OSError, ValueError) as exc:
        log.info("%s: no thumbnail (%s)", video.name, exc)
        return None
