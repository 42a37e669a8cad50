"""Face boxes drawn onto frames (PIL), labelled with the person and the top emotion, in the
colours of every figure; used by the figures, the annotated video and the pages."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from emohelpers.analysis.table import BOX_COLUMNS, EMOTIONS
from emohelpers.figures.theme import EMOTION_COLORS, hex_to_rgb, person_label


@lru_cache(maxsize=16)
def label_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (Pillow's default font where it is missing) at `size` pixels; cached."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _text_color(color: str) -> tuple[int, int, int]:
    r, g, b = hex_to_rgb(color)
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)


def as_rows(rows: pd.DataFrame | pd.Series | None) -> pd.DataFrame:
    if rows is None:
        return pd.DataFrame(columns=["person", *BOX_COLUMNS, *EMOTIONS, "emotion"])
    return rows.to_frame().T if isinstance(rows, pd.Series) else rows


def draw_boxes(frame_rgb: np.ndarray, rows: pd.DataFrame | pd.Series) -> np.ndarray:
    """Draw face boxes coloured by top emotion, labelled like `"P0 happy 0.83"`.

    Args:
        frame_rgb: (h, w, 3) uint8 RGB frame; not modified.
        rows: emotion-table rows of this frame (a DataFrame, or one row as a Series);
            rows without a face are skipped.

    Returns:
        A new (h, w, 3) uint8 array.
    """
    image = Image.fromarray(np.ascontiguousarray(frame_rgb, dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    h, w = image.height, image.width
    line = max(2, round(min(h, w) / 180))
    font = label_font(max(11, round(min(h, w) / 28)))
    for _, row in as_rows(rows).iterrows():
        box = [float(row[c]) for c in BOX_COLUMNS]
        if any(math.isnan(v) for v in box) or pd.isna(row["emotion"]):
            continue
        emotion = str(row["emotion"])
        color = EMOTION_COLORS[emotion]
        x1, y1, x2, y2 = box
        draw.rectangle([x1, y1, x2, y2], outline=color, width=line)
        label = (
            f"{person_label(row['person'], row.get('name'))} {emotion} {float(row[emotion]):.2f}"
        )
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        tw, th = right - left + 2 * line, bottom - top + 2 * line
        ty = y1 - th if y1 - th >= 0 else y1  # above the box, or inside when at the top
        tx = min(max(0.0, x1), max(0.0, w - tw))
        draw.rectangle([tx, ty, tx + tw, ty + th], fill=color)
        draw.text((tx + line - left, ty + line - top), label, fill=_text_color(color), font=font)
    return np.asarray(image)
