"""The annotated video: every analysed frame with its face boxes beside a live radar
(drawn by `figures.radar_panel`), encoded as H.264 with the source's sound."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from emohelpers.analysis.shared import shared_source
from emohelpers.analysis.table import BOX_COLUMNS, EMOTIONS, validate_table
from emohelpers.analysis.video import iter_frames
from emohelpers.core.atomic import atomic_path, temporary_path
from emohelpers.core.errors import ParameterError, SchemaError, VideoReadError
from emohelpers.figures.drawing import draw_boxes, label_font
from emohelpers.figures.radar_panel import (
    MIN_HEIGHT,
    RadarGeometry,
    draw_radar,
    panel_geometry,
    radar_background,
)
from emohelpers.figures.styles import RADAR_STYLES
from emohelpers.figures.theme import (
    FONT_COLOR,
    hex_to_rgb,
    person_color,
    person_label,
)
from emohelpers.figures.video_timing import mux_audio, schedule
from emohelpers.summaries.summary import main_persons

log = logging.getLogger(__name__)


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


def _even(n: int) -> int:
    return n + (n % 2)


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
        fps: a constant output frame rate, frames repeated or dropped by time; default:
            each analysed frame at its own presentation time (variable-rate clips too).
            The sound stays in sync either way.
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
    if radar not in RADAR_STYLES:
        raise ParameterError(f"radar={radar!r}: invalid; allowed: {list(RADAR_STYLES)}")
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps={fps!r}: must be a number > 0")
    validate_table(table)
    if table.empty:
        raise SchemaError("render_annotated_video: the emotion table has no rows")
    source, out_path = Path(video_path), Path(out_path)
    video = shared_source(source)  # the clip's one open source: frames and clock
    info = video.info

    if radar == "per-person":
        shown = sorted(float(p) for p in table["person"].dropna().unique())
    else:
        shown = main_persons(table, 1)
    height = max(_even(info.height), MIN_HEIGHT)
    colors = {p: person_color(p) for p in shown}
    composer = _Composer(height, round(info.width * height / info.height), colors)

    by_frame = {int(f): rows for f, rows in table.groupby("frame", sort=True)}
    frames = np.array(sorted(by_frame))
    times = np.array([float(by_frame[f]["time_s"].iloc[0]) for f in frames])
    plan = schedule(times, time_base=video.time_base, fps=fps, source_fps=info.fps)
    position = {int(f): i for i, f in enumerate(frames)}
    steps = np.unique(np.diff(frames))
    # Let the decoder skip frames when the table is every n-th frame from a multiple of n.
    every_n = int(steps[0]) if len(steps) == 1 and frames[0] % steps[0] == 0 else 1
    start_s, end_s = float(times[0]), float(times[-1])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed when complete (the pictures alone first,
    # under a second one, when the sound is muxed in after).
    video_only = temporary_path(out_path)
    written = 0
    try:
        with atomic_path(out_path) as partial:
            target = video_only if info.has_audio else partial
            with av.open(
                str(target), mode="w", format="mp4", options={"movflags": "+faststart"}
            ) as container:
                options = {"crf": str(crf), "preset": preset}
                stream = container.add_stream("libx264", rate=plan.rate, options=options)
                stream.width, stream.height, stream.pix_fmt = composer.width, height, "yuv420p"
                stream.codec_context.time_base = plan.time_base
                decoded = iter_frames(
                    video, every_n=every_n, start_s=start_s - 1e-3, end_s=end_s + 1e-4
                )
                with tqdm(
                    total=len(frames), desc="render", unit="frame", disable=not progress
                ) as bar:
                    for frame in decoded:
                        i = position.get(frame.index)
                        if i is None:
                            continue
                        written += 1
                        bar.update(1)
                        if not plan.repeats[i]:
                            continue  # a constant rate below the analysed one drops it
                        rgb = composer.compose(frame.rgb, by_frame[frame.index], frame.time_s)
                        for k in range(int(plan.repeats[i])):
                            picture = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                            picture.pts, picture.time_base = int(plan.pts[i]) + k, plan.time_base
                            for packet in stream.encode(picture):
                                container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
            if written == 0:
                raise VideoReadError(
                    f"{source.name}: none of the table's frames ({frames[0]}..{frames[-1]}) were "
                    "decoded; render with the video the table was made from"
                )
            if info.has_audio:
                # The player's clock is FFmpeg's input timeline: `-ss` at the first frame's time.
                mux_audio(video_only, source, partial, plan.start_s, plan.duration_s)
    finally:
        video_only.unlink(missing_ok=True)
    if written < len(frames):
        missing = len(frames) - written
        log.warning("%s: %d of the table's %d frames not found", source.name, missing, len(frames))
    size = f"{composer.width}x{height}"
    log.info("wrote %s: %d frames, %.2f s, %s", out_path.name, written, plan.duration_s, size)
    return out_path
