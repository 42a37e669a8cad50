"""The annotated video: every analysed frame with its face boxes beside a live radar.

A kaleido export costs seconds, so the radar is not exported per frame. Its static part
(grid, angular labels, radial ticks, legend) is exported once per size with the same
layout as `emohelpers.figures.radar_figure`, at a fixed width, height, margins and polar
domain, so that the centre and radius of the polar area in pixels are known
(`RadarGeometry`). Per frame, the filled polygons are drawn with PIL at 3x and
downscaled, in the colours and opacity of the interactive radar, and composited on top.
"""

from __future__ import annotations

import io
import logging
import math
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from kaleido.errors import KaleidoError
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from emohelpers.core.errors import ParameterError, SchemaError, VideoReadError
from emohelpers.figures.core_figures import RADAR_ROTATION_DEG, draw_boxes, label_font, person_label, radar_polar_layout
from emohelpers.analysis.table import BOX_COLUMNS, EMOTIONS, validate_table
from emohelpers.figures.theme import (
    FONT_COLOR,
    GRID_COLOR,
    RADAR_FILL_OPACITY,
    RADAR_LINE_WIDTH,
    apply_theme,
    hex_to_rgb,
    person_color,
    rgba,
)
from emohelpers.analysis.video import iter_frames, probe_video

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


def analysed_fps(table: pd.DataFrame, source_fps: Fraction) -> Fraction:
    """The rate of the analysed frames: source fps / every_n, or from `time_s` steps.

    Args:
        table: the emotion table.
        source_fps: the source's average frame rate, frames per second.
    """
    frames = np.unique(table["frame"].to_numpy())
    if len(frames) < 2:
        return source_fps
    steps = np.diff(frames)
    if (steps == steps[0]).all():
        return source_fps / int(steps[0])
    dt = float(np.median(np.diff(np.unique(table["time_s"].to_numpy()))))
    return Fraction(1.0 / dt).limit_denominator(1001)


def main_person(table: pd.DataFrame) -> float | None:
    """The track id with the most face frames (the lowest id on ties); None without faces."""
    counts = table.dropna(subset=["person"]).groupby("person")["frame"].nunique()
    if counts.empty:
        return None
    return float(counts.sort_index().idxmax())


def _even(n: int) -> int:
    return n + (n % 2)


def _mux_audio(video_only: Path, source: Path, out_path: Path, start_s: float, dur_s: float):
    """Copy the video of `video_only` and `dur_s` of the source's sound from `start_s`.

    The sound is cut to the video, never the video to the sound (`-shortest` would drop
    frames when the sound ends first).
    """
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(video_only),
        "-ss", f"{start_s:.6f}", "-t", f"{dur_s:.6f}", "-i", str(source),
        "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k",
        "-movflags", "+faststart", str(out_path),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise VideoReadError(f"{source}: muxing its audio failed: {done.stderr.strip()[-500:]}")


@dataclass
class _Composer:
    """Lays out one output frame: the boxed source frame, then the radar panel."""

    height: int
    frame_w: int
    colors: dict[float, str]
    background: np.ndarray = field(init=False)
    geo: RadarGeometry = field(init=False)
    width: int = field(init=False)

    def __post_init__(self) -> None:
        traces = tuple((person_label(p), c) for p, c in self.colors.items())
        self.background = radar_background(self.height, traces)
        _, self.scale, self.geo = panel_geometry(self.height)
        self.width = _even(self.frame_w + self.background.shape[1])
        self.font = label_font(max(10, round(13 * self.scale)))
        self.canvas = np.full((self.height, self.width, 3), 255, dtype=np.uint8)

    def compose(self, rgb: np.ndarray, rows: pd.DataFrame, time_s: float) -> np.ndarray:
        """(height, width, 3) uint8 output frame; reuses one buffer, so copy to keep it."""
        if rgb.shape[:2] != (self.height, self.frame_w):
            # Scale the frame first and the boxes with it, so labels keep their pixel size.
            s = self.height / rgb.shape[0]
            size = (self.frame_w, self.height)
            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
            rows = rows.assign(**{c: rows[c] * s for c in BOX_COLUMNS})
        boxed = draw_boxes(rgb, rows)
        faces = rows.dropna(subset=["person"]).drop_duplicates("person")
        polygons = [
            (r[list(EMOTIONS)].to_numpy(dtype=np.float64), self.colors[float(r["person"])])
            for _, r in faces.iterrows()
            if float(r["person"]) in self.colors
        ]
        panel = Image.fromarray(draw_radar(self.background, self.geo, polygons))
        xy = (8 * self.scale, 8 * self.scale)
        text = f"t = {time_s:.2f} s"
        ImageDraw.Draw(panel).text(xy, text, fill=hex_to_rgb(FONT_COLOR), font=self.font)
        self.canvas[:, : self.frame_w] = boxed
        self.canvas[:, self.frame_w : self.frame_w + panel.width] = np.asarray(panel)
        return self.canvas


def render_annotated_video(
    video_path: str | Path,
    table: pd.DataFrame,
    out_path: str | Path,
    *,
    radar: str = "per-person",
    fps: float | None = None,
    progress: bool = True,
    crf: int = 20,
    preset: str = "veryfast",
) -> Path:
    """Write the annotated video: each analysed frame with boxes, beside a live radar.

    Args:
        video_path: the source video the table was made from.
        table: its emotion table; frames are matched by `frame` index.
        out_path: the .mp4 to write (H.264, yuv420p, even size, with the source's sound).
        radar: `"per-person"` (one polygon per person in the frame) or `"main"` (only the
            person with the most face frames).
        fps: output frame rate; default the analysed rate (source fps / every_n), the
            only rate at which the sound stays in sync with the pictures.
        progress: show a tqdm bar.
        crf: x264 quality (lower is better; 18-23 is visually good).
        preset: x264 speed preset.

    Returns:
        `out_path`.

    Raises:
        ParameterError: unknown `radar`, or a non-positive `fps`.
        SchemaError: the table breaks the contract or is empty.
        VideoReadError: the source cannot be read, or has none of the table's frames.
    """
    if radar not in ("per-person", "main"):
        raise ParameterError(f"radar={radar!r}: expected 'per-person' or 'main'")
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps={fps!r}: must be a number > 0")
    validate_table(table)
    if table.empty:
        raise SchemaError("render_annotated_video: the emotion table has no rows")
    source, out_path = Path(video_path), Path(out_path)
    info = probe_video(source)
    rate = Fraction(fps).limit_denominator(1001) if fps else None
    rate = rate or analysed_fps(table, Fraction(info.fps).limit_denominator(1001))

    main = main_person(table)
    if radar == "per-person":
        shown = sorted(float(p) for p in table["person"].dropna().unique())
    else:
        shown = [main] if main is not None else []
    height = max(_even(info.height), MIN_HEIGHT)
    colors = {p: person_color(p) for p in shown}
    composer = _Composer(height, round(info.width * height / info.height), colors)

    by_frame = {int(f): rows for f, rows in table.groupby("frame", sort=True)}
    frames = np.array(sorted(by_frame))
    steps = np.unique(np.diff(frames))
    # Let the decoder skip frames when the table is every n-th frame from a multiple of n.
    every_n = int(steps[0]) if len(steps) == 1 and frames[0] % steps[0] == 0 else 1
    start_s, end_s = float(table["time_s"].min()), float(table["time_s"].max())
    out_path.parent.mkdir(parents=True, exist_ok=True)
    video_only = out_path.with_name(out_path.stem + ".video.mp4") if info.has_audio else out_path
    written = 0
    with av.open(str(video_only), mode="w", options={"movflags": "+faststart"}) as container:
        options = {"crf": str(crf), "preset": preset}
        stream = container.add_stream("libx264", rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = composer.width, height, "yuv420p"
        decoded = iter_frames(
            source, every_n=every_n, start_s=start_s - 1e-3, end_s=end_s + 0.5 / info.fps
        )
        with tqdm(total=len(frames), desc="render", unit="frame", disable=not progress) as bar:
            for frame in decoded:
                rows = by_frame.get(frame.index)
                if rows is None:
                    continue
                rgb = composer.compose(frame.rgb, rows, frame.time_s)
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    container.mux(packet)
                written += 1
                bar.update(1)
        for packet in stream.encode():
            container.mux(packet)
    if written == 0:
        video_only.unlink(missing_ok=True)
        raise VideoReadError(
            f"{source}: none of the table's frames ({frames[0]}..{frames[-1]}) were decoded; "
            "render with the video the table was made from"
        )
    if written < len(frames):
        missing = len(frames) - written
        log.warning("%s: %d of the table's %d frames not found", source, missing, len(frames))
    if info.has_audio:
        try:
            _mux_audio(video_only, source, out_path, start_s, float(written / rate))
        finally:
            video_only.unlink(missing_ok=True)
    size = f"{composer.width}x{height}"
    log.info("wrote %s: %d frames at %s fps, %s", out_path, written, rate, size)
    return out_path
