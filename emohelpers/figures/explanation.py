"""Figures of attribution maps: the face with the map laid over it, one panel per emotion.

As in the seed study: for each emotion whose probability is above chance (1/7), the face
in grayscale (so that the heat colours are not confused with skin tones) under a
semi-transparent heat map (Inferno: dark purple to yellow), titled with the emotion and
its probability ("happy 0.83") in that emotion's colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import hex_to_rgb
from plotly.colors import sequential as seq
from plotly.subplots import make_subplots

from emohelpers.analysis.classifiers.base import Crop, to_pil
from emohelpers.analysis.table import CHANCE, EMOTIONS
from emohelpers.core.images import image_data_uri
from emohelpers.figures.text import plain_or_none
from emohelpers.figures.theme import EMOTION_COLORS, apply_theme


@lru_cache(maxsize=1)
def _lut() -> np.ndarray:
    """(256, 3) uint8 Inferno colours, interpolated from Plotly's ten stops."""
    stops = np.array([hex_to_rgb(c) for c in seq.Inferno], dtype=np.float64)
    at = np.linspace(0, 1, len(stops))
    x = np.linspace(0, 1, 256)
    lut = np.stack([np.interp(x, at, stops[:, k]) for k in range(3)], axis=1)
    return lut.round().astype(np.uint8)


def heat_colors(attribution: np.ndarray) -> np.ndarray:
    """(h, w) values in [0, 1] -> (h, w, 3) uint8 Inferno colours (NaN counts as 0)."""
    m = np.nan_to_num(np.asarray(attribution, dtype=np.float32), nan=0.0).clip(0, 1)
    return _lut()[(m * 255).round().astype(np.int64)]


def overlay(crop: Crop, attribution: np.ndarray, alpha: float = 0.65) -> np.ndarray:
    """The face in grayscale under the heat map of an attribution map; a new array.

    Each pixel's opacity grows with its attribution (`alpha * sqrt(value)`), so that the
    face stays visible where the model did not look.

    Args:
        crop: the face crop, (h, w, 3) uint8 RGB array or PIL image (not modified).
        attribution: (H, W) map in [0, 1]; resized to the crop when sizes differ.
        alpha: opacity of the heat map where the attribution is 1, in [0, 1].

    Returns:
        (h, w, 3) uint8 RGB.
    """
    face = to_pil(crop)
    gray = np.asarray(face.convert("L"), dtype=np.float32)[..., None]
    m = np.nan_to_num(np.asarray(attribution, dtype=np.float32), nan=0.0).clip(0, 1)
    if m.shape != gray.shape[:2]:
        m = np.asarray(Image.fromarray(m).resize(face.size, Image.Resampling.BILINEAR))
        m = m.clip(0, 1)
    a = float(np.clip(alpha, 0, 1)) * np.sqrt(m)[..., None]
    out = (1 - a) * gray + a * heat_colors(m).astype(np.float32)
    return out.round().clip(0, 255).astype(np.uint8)


def _probabilities(probs: np.ndarray | Mapping[str, float]) -> dict[str, float]:
    if isinstance(probs, Mapping):
        return {e: float(probs[e]) for e in EMOTIONS if e in probs}
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if p.shape != (len(EMOTIONS),):
        raise ValueError(f"probs: expected shape (7,) in EMOTIONS order, got {p.shape}")
    return dict(zip(EMOTIONS, p.tolist(), strict=True))


def shown_emotions(
    probs: np.ndarray | Mapping[str, float],
    available: Sequence[str] = EMOTIONS,
    min_prob: float = CHANCE,
    first: str | None = None,
) -> list[str]:
    """The emotions a figure shows: above `min_prob`, most probable first.

    Args:
        probs: (7,) probabilities in `EMOTIONS` order, or emotion -> probability.
        available: emotions that have a map.
        min_prob: show emotions with a probability strictly above this.
        first: an emotion to put first (shown even below `min_prob`), e.g. the moment's.
    """
    p = _probabilities(probs)
    shown = sorted((e for e in available if p.get(e, 0.0) > min_prob), key=lambda e: -p[e])
    if first is not None and first in available:
        shown = [first, *(e for e in shown if e != first)]
    return shown


def explanation_figure(
    crop: Crop,
    maps_by_emotion: Mapping[str, np.ndarray],
    probs: np.ndarray | Mapping[str, float],
    *,
    title: str | None = None,
    min_prob: float = CHANCE,
    first: str | None = None,
    panel_px: int = 220,
    alpha: float = 0.65,
) -> go.Figure:
    """The face with its attribution map overlaid, one panel per emotion above chance.

    Args:
        crop: the face crop, (h, w, 3) uint8 RGB or PIL image.
        maps_by_emotion: emotion -> (h, w) map in [0, 1] (e.g. `Explanation.maps_by_emotion`).
        probs: the crop's (7,) probabilities in `EMOTIONS` order, or emotion -> probability.
        title: figure title (none by default).
        min_prob: panels for emotions with a probability above this (default 1/7).
        first: an emotion whose panel comes first and is shown even below `min_prob`.
        panel_px: width of one panel, pixels (the images are embedded at this width).
        alpha: heat-map opacity, see `overlay`.

    Returns:
        A figure of one row of image panels titled like "happy 0.83"; a figure with no
        panel (and a note) when no emotion with a map is above `min_prob`.
    """
    p, title = _probabilities(probs), plain_or_none(title)
    shown = shown_emotions(p, list(maps_by_emotion), min_prob, first)
    if not shown:
        fig = go.Figure(layout={"title": title, "height": 120, "width": 420})
        fig.add_annotation(
            text=f"No emotion above {min_prob:.2f}",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_xaxes(visible=False).update_yaxes(visible=False)
        return apply_theme(fig)
    fig = make_subplots(
        rows=1,
        cols=len(shown),
        horizontal_spacing=0.02,
        subplot_titles=[f"{e} {p[e]:.2f}" for e in shown],
    )
    for k, emotion in enumerate(shown, start=1):
        image = overlay(crop, maps_by_emotion[emotion], alpha)
        fig.add_trace(
            go.Image(
                source=image_data_uri(image, width=panel_px, quality=88),
                name=emotion,
                hoverinfo="skip",
            ),
            row=1,
            col=k,
        )
        fig.update_xaxes(visible=False, row=1, col=k)
        fig.update_yaxes(visible=False, scaleanchor="x" if k == 1 else f"x{k}", row=1, col=k)
    for note, emotion in zip(fig.layout.annotations, shown, strict=True):
        note.font = {"color": EMOTION_COLORS[emotion], "size": 14}
    top = 60 if title else 36
    fig.update_layout(
        title=title,
        width=max(320, 20 + len(shown) * (panel_px + 10)),
        height=panel_px + top + 10,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        showlegend=False,
    )
    return apply_theme(fig)
