"""The annotated video's radar panel, drawn without a kaleido export per frame.

A kaleido export costs seconds, so the radar is not exported per frame. Its static part
(grid, angular labels, radial ticks, legend) is exported once per size with the same
layout as `emohelpers.figures.core_figures.radar_figure`, at a fixed width, height, margins
and polar domain, so that the centre and radius of the polar area in pixels are known
(`RadarGeometry`). Per frame, the filled polygons are drawn with PIL at 3x and
downscaled, in the colours and opacity of the interactive radar, and composited on top.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from kaleido.errors import KaleidoError
from PIL import Image, ImageDraw

from emohelpers.analysis.table import EMOTIONS
from emohelpers.figures.core_figures import RADAR_ROTATION_DEG, radar_polar_layout
from emohelpers.figures.drawing import label_font
from emohelpers.figures.theme import (
    FONT_COLOR,
    GRID_COLOR,
    RADAR_FILL_OPACITY,
    RADAR_LINE_WIDTH,
    apply_theme,
    hex_to_rgb,
    rgba,
)

log = logging.getLogger(__name__)

#: Layout of the video radar in CSS px before scaling: (width, height) and margins.
PANEL_SIZE: tuple[int, int] = (440, 420)
PANEL_MARGIN: dict[str, int] = {"l": 75, "r": 75, "t": 40, "b": 70}
#: Output frames are at least this tall (small sources are scaled up to it), pixels.
MIN_HEIGHT = 360
_SUPERSAMPLE = 3


@dataclass(frozen=True)
class RadarGeometry:
    """Where the polar area of the video radar lies, in output pixels.

    Attributes:
        cx, cy: centre, continuous pixel coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)).
        radius: pixels from the centre to r = 1.
    """

    cx: float
    cy: float
    radius: float

    def vertices(self, probs: np.ndarray) -> np.ndarray:
        """(7, 2) float (x, y) pixel coordinates of a radar polygon's vertices.

        Args:
            probs: (7,) probabilities in `EMOTIONS` order, in [0, 1].
        """
        k = np.arange(len(EMOTIONS))
        # Plotly places category k at `rotation` degrees, going clockwise.
        theta = np.radians(RADAR_ROTATION_DEG - k * 360.0 / len(EMOTIONS))
        r = np.asarray(probs, dtype=np.float64) * self.radius
        return np.stack([self.cx + r * np.cos(theta), self.cy - r * np.sin(theta)], axis=1)


def panel_geometry(height: int) -> tuple[tuple[int, int], float, RadarGeometry]:
    """Size, scale and polar geometry of the radar panel for an output `height` in pixels.

    Returns:
        `((width, height), scale, geometry)`: panel size in pixels, pixels per CSS px,
        and the polar area; the polar domain fills the plot area and Plotly fits the circle
        to the smaller side, centred.
    """
    scale = height / PANEL_SIZE[1]
    size = (round(PANEL_SIZE[0] * scale), height)
    m = PANEL_MARGIN
    plot_w, plot_h = PANEL_SIZE[0] - m["l"] - m["r"], PANEL_SIZE[1] - m["t"] - m["b"]
    geometry = RadarGeometry(
        cx=(m["l"] + plot_w / 2) * scale,
        cy=(m["t"] + plot_h / 2) * scale,
        radius=min(plot_w, plot_h) / 2 * scale,
    )
    return size, scale, geometry


def radar_background_figure(traces: Mapping[str, str]) -> go.Figure:
    """The video radar without data: grid, labels, ticks and a legend of `traces`.

    Args:
        traces: legend name -> hex colour, one entry per polygon the video will show.
    """
    fig = go.Figure()
    for name, color in traces.items():
        fig.add_trace(
            go.Scatterpolar(
                r=[np.nan] * len(EMOTIONS),
                theta=list(EMOTIONS),
                name=name,
                mode="lines",
                fill="toself",
                fillcolor=rgba(color, RADAR_FILL_OPACITY),
                line={"color": color, "width": RADAR_LINE_WIDTH},
            )
        )
    apply_theme(fig)
    fig.update_layout(
        polar=radar_polar_layout(domain={"x": [0, 1], "y": [0, 1]}),
        width=PANEL_SIZE[0],
        height=PANEL_SIZE[1],
        margin={**PANEL_MARGIN, "autoexpand": False},
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0.5,
            "xanchor": "center",
            "xref": "container",
            "y": 0.01,
            "yanchor": "bottom",
            "yref": "container",
        },
    )
    return fig


def _pil_background(size: tuple[int, int], scale: float, geo: RadarGeometry) -> Image.Image:
    """A plain radar grid drawn with PIL: the fallback when kaleido has no Chrome."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    grid = hex_to_rgb(GRID_COLOR)
    for r in (0.25, 0.5, 0.75, 1.0):
        rr = r * geo.radius
        draw.ellipse([geo.cx - rr, geo.cy - rr, geo.cx + rr, geo.cy + rr], outline=grid)
    font = label_font(max(9, round(13 * scale)))
    for (x, y), name in zip(geo.vertices(np.ones(len(EMOTIONS))), EMOTIONS, strict=True):
        draw.line([geo.cx, geo.cy, x, y], fill=grid)
        tx, ty = geo.cx + (x - geo.cx) * 1.1, geo.cy + (y - geo.cy) * 1.1
        anchor = "mm" if abs(x - geo.cx) < 2 else ("lm" if x > geo.cx else "rm")
        draw.text((tx, ty), name, fill=hex_to_rgb(FONT_COLOR), font=font, anchor=anchor)
    return image


def _kaleido_png(fig: go.Figure, scale: float) -> bytes:
    return pio.to_image(fig, format="png", width=PANEL_SIZE[0], height=PANEL_SIZE[1], scale=scale)


@lru_cache(maxsize=8)
def radar_background(height: int, traces: tuple[tuple[str, str], ...]) -> np.ndarray:
    """The static radar panel for an output `height`, exported once with kaleido (cached).

    Args:
        height: panel height in pixels.
        traces: `((legend name, hex colour), ...)` of the polygons the video will show.

    Returns:
        (height, width, 3) uint8 RGB; width from `panel_geometry`. Without a working
        Chrome, a plain PIL-drawn grid with a warning.
    """
    size, scale, geo = panel_geometry(height)
    try:
        png = _kaleido_png(radar_background_figure(dict(traces)), scale)
        image = Image.open(io.BytesIO(png)).convert("RGB")
    except (KaleidoError, RuntimeError, OSError) as exc:
        log.warning("kaleido could not export the radar (%s); using a plain PIL radar", exc)
        image = _pil_background(size, scale, geo)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image)


def draw_radar(
    background: np.ndarray, geo: RadarGeometry, polygons: list[tuple[np.ndarray, str]]
) -> np.ndarray:
    """Composite filled radar polygons over a radar background, as Plotly draws them.

    Args:
        background: (h, w, 3) uint8 RGB panel from `radar_background`; not modified.
        geo: its polar geometry.
        polygons: `(probs (7,), hex colour)` in drawing order; NaN probabilities are skipped.

    Returns:
        A new (h, w, 3) uint8 RGB array.
    """
    s = _SUPERSAMPLE
    scale = background.shape[0] / PANEL_SIZE[1]
    width = max(1, round(RADAR_LINE_WIDTH * scale * s))
    out = background.copy()
    for probs, color in polygons:
        if np.isnan(probs).any():
            continue
        vertices = geo.vertices(probs)
        # Work only on the polygon's bounding box: most polygons are small.
        (x0, y0), (x1, y1) = vertices.min(axis=0) - width, vertices.max(axis=0) + width
        left, top = max(0, math.floor(x0)), max(0, math.floor(y0))
        right, bottom = min(out.shape[1], math.ceil(x1)), min(out.shape[0], math.ceil(y1))
        region = Image.fromarray(out[top:bottom, left:right]).convert("RGBA")
        rgb = hex_to_rgb(color)
        # Continuous coordinates -> supersampled pixel centres (PIL draws on pixel centres).
        points = [tuple(p) for p in (vertices - (left, top)) * s - 0.5]
        # Transparent pixels carry the colour too, so downscaling never darkens the edges.
        layer = Image.new("RGBA", (region.width * s, region.height * s), (*rgb, 0))
        draw = ImageDraw.Draw(layer)
        draw.polygon(points, fill=(*rgb, round(255 * RADAR_FILL_OPACITY)))
        draw.line([*points, points[0], points[1]], fill=(*rgb, 255), width=width, joint="curve")
        region.alpha_composite(layer.resize(region.size, Image.Resampling.BOX))
        out[top:bottom, left:right] = np.asarray(region.convert("RGB"))
    return out
