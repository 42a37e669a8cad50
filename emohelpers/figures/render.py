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
from emohelpers.figures.video_timing import Schedule, mux_audio, schedule
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
        self._radar_rows: pd.DataFrame | None = None
        self._radar = self.background

    def compose(
        self,
        rgb: np.ndarray,
        rows: pd.DataFrame,
        time_s: float,
        radar_rows: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """(height, width, 3) uint8 output frame, the boxes of `rows`, the radar of
        `radar_rows` (default `rows`); reuses one buffer, so copy to keep it."""
        radar_rows = rows if radar_rows is None else radar_rows
        if rgb.shape[:2] != (self.height, self.frame_w):
            # Scale the frame first and the boxes with it, so labels keep their pixel size.
            s = self.height / rgb.shape[0]
            size = (self.frame_w, self.height)
            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
            rows = rows.assign(**{c: rows[c] * s for c in BOX_COLUMNS})
        boxed = draw_boxes(rgb, rows)
        if radar_rows is not self._radar_rows:  # a held radar is drawn once
            faces = radar_rows.dropna(subset=["person"]).drop_duplicates("person")
            polygons = [
                (r[list(EMOTIONS)].to_numpy(dtype=np.float64), self.colors[float(r["person"])])
                for _, r in faces.iterrows()
                if float(r["person"]) in self.colors
            ]
            self._radar = draw_radar(self.background, self.geo, polygons)
            self._radar_rows = radar_rows
        panel = Image.fromarray(self._radar.copy())  # the time label is drawn on the copy
        xy = (8 * self.scale, 8 * self.scale)
        text = f"t = {time_s:.2f} s"
        ImageDraw.Draw(panel).text(xy, text, fill=hex_to_rgb(FONT_COLOR), font=self.font)
        self.canvas[:, : self.frame_w] = boxed
        self.canvas[:, self.frame_w : self.frame_w + panel.width] = np.asarray(panel)
        return self.canvas


#: What the annotated video shows: only the analysed frames, or every source frame.
FRAMES_MODES = ("analysed", "source")


@dataclass
class _Count:
    """What was written: analysed frames found, pictures encoded, the last one's end."""

    analysed: int = 0
    pictures: int = 0
    end_s: float = 0.0


def _source_plan(plan: Schedule, times: np.ndarray, source_fps: float) -> Schedule:
    """The schedule of every source frame from the first analysed frame to the end of the
    last one's display (pts are each frame's own time; only start, rate and span count)."""
    end = plan.start_s + plan.duration_s
    rate = Fraction(source_fps).limit_denominator(1001) if source_fps > 0 else plan.rate
    return Schedule(plan.time_base, plan.pts, plan.repeats, float(times[0]), end - times[0], rate)


def _analysed_frames(video, composer, by_frame, times, plan, count):
    """(rgb, pts) of each analysed frame, repeated or dropped as `plan` says."""
    frames = np.array(sorted(by_frame))
    position = {int(f): i for i, f in enumerate(frames)}
    steps = np.unique(np.diff(frames))
    # Let the decoder skip frames when the table is every n-th frame from a multiple of n.
    every_n = int(steps[0]) if len(steps) == 1 and frames[0] % steps[0] == 0 else 1
    start_s, end_s = float(times[0]), float(times[-1])
    for frame in iter_frames(video, every_n=every_n, start_s=start_s - 1e-3, end_s=end_s + 1e-4):
        i = position.get(frame.index)
        if i is None:
            continue
        count.analysed += 1
        if not plan.repeats[i]:
            continue  # a constant rate below the analysed one drops it
        rgb = composer.compose(frame.rgb, by_frame[frame.index], frame.time_s)
        for k in range(int(plan.repeats[i])):
            count.pictures += 1
            yield rgb, int(plan.pts[i]) + k


def _every_source_frame(video, composer, by_frame, times, plan, count):
    """(rgb, pts) of every source frame in the plan's span at its own time: the boxes of
    the nearest analysed frame, the radar of the last analysed one at or before it."""
    frames = np.array(sorted(by_frame))
    tb = float(plan.time_base)
    stop_s = plan.start_s + plan.duration_s
    last_pts = -1
    step = 1 / float(plan.rate)
    for frame in iter_frames(video, start_s=plan.start_s - 1e-3, end_s=stop_s - 1e-4):
        t = frame.time_s
        near = int(frames[np.abs(times - t).argmin()])
        held = int(frames[max(int(np.searchsorted(times, t + 1e-6, side="right")) - 1, 0)])
        count.analysed += int(frame.index in by_frame)
        rgb = composer.compose(frame.rgb, by_frame[near], t, by_frame[held])
        last_pts = max(int(round((t - plan.start_s) / tb)), last_pts + 1)
        count.pictures += 1
        count.end_s = t + step
        yield rgb, last_pts


def render_annotated_video(
    video_path: str | Path,
    table: pd.DataFrame,
    out_path: str | Path,
    *,
    radar: str = "per-person",
    fps: float | None = None,
    frames_mode: str = "analysed",
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
        frames_mode: "analysed" (only the analysed frames, each shown until the next) or
            "source" (every source frame at its own time, with the boxes of the nearest
            analysed frame and the radar of the last one at or before it, as the reels
            draw them; ignored with `fps`).
        progress: show a tqdm bar.
        crf: x264 quality (lower is better; 18-23 is visually good).
        preset: x264 speed preset.

    Returns:
        `out_path`.

    Raises:
        ParameterError: unknown `radar` or `frames_mode`, or a non-positive `fps`.
        SchemaError: the table breaks the contract or is empty.
        VideoReadError: the source cannot be read, or has none of the table's frames.
    """
    if radar not in RADAR_STYLES:
        raise ParameterError(f"radar={radar!r}: invalid; allowed: {list(RADAR_STYLES)}")
    if frames_mode not in FRAMES_MODES:
        raise ParameterError(f"frames_mode={frames_mode!r}: invalid; allowed: {list(FRAMES_MODES)}")
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
    every_source = frames_mode == "source" and fps is None
    if every_source:
        plan = _source_plan(plan, times, info.fps)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed when complete (the pictures alone first,
    # under a second one, when the sound is muxed in after).
    video_only = temporary_path(out_path)
    count = _Count()
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
                make = _every_source_frame if every_source else _analysed_frames
                total = round(plan.duration_s * float(plan.rate)) if every_source else len(frames)
                with tqdm(total=total, desc="render", unit="frame", disable=not progress) as bar:
                    for rgb, pts in make(video, composer, by_frame, times, plan, count):
                        bar.update(1)
                        picture = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                        picture.pts, picture.time_base = pts, plan.time_base
                        for packet in stream.encode(picture):
                            container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
            if count.analysed == 0:
                raise VideoReadError(
                    f"{source.name}: none of the table's frames ({frames[0]}..{frames[-1]}) were "
                    "decoded; render with the video the table was made from"
                )
            if info.has_audio:
                # The player's clock is FFmpeg's input timeline: `-ss` at the first frame's time.
                duration_s = count.end_s - plan.start_s if every_source else plan.duration_s
                mux_audio(video_only, source, partial, plan.start_s, duration_s)
    finally:
        video_only.unlink(missing_ok=True)
    written = count.analysed
    if written < len(frames):
        missing = len(frames) - written
        log.warning("%s: %d of the table's %d frames not found", source.name, missing, len(frames))
    size = f"{composer.width}x{height}"
    log.info(
        "wrote %s: %d frames, %.2f s, %s", out_path.name, count.pictures, plan.duration_s, size
    )
    return out_path
