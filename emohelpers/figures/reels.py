"""Moments as clips: a person's strongest moments of an emotion cut from the source video
with their sound and joined into a short highlight reel (moviepy 2).

moviepy is the right tool here: it cuts and joins clips with their sound kept in sync and
writes them through ffmpeg. The reels are cut from the **source frames** (every frame, at
the source's rate, with its sound), and the face boxes of the nearest analysed frame are
drawn on them, so that the viewer sees whose face the moment is about. The annotated
video is not used: it exists only when a report rendered it, holds only the analysed
frames (every n-th), and its radar panel would halve the picture's size in a notebook.

Output: H.264 with yuv420p pixels (browsers play it) and AAC sound when the source has
sound, written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import ParameterError, VideoReadError
from emohelpers.figures.drawing import draw_boxes
from emohelpers.figures.theme import person_label
from emohelpers.summaries.moments import strongest_moments

log = logging.getLogger(__name__)

#: Seconds of video around each moment (the peak in the middle).
DEFAULT_SPAN_S = 2.0
#: Moments per reel.
DEFAULT_MOMENTS = 3


def reel_moments(
    table: pd.DataFrame,
    person: float,
    emotion: str,
    n: int = DEFAULT_MOMENTS,
    span_s: float = DEFAULT_SPAN_S,
    duration_s: float | None = None,
) -> pd.DataFrame:
    """A person's `n` strongest moments of an emotion, as non-overlapping segments.

    Peaks are taken strongest first; a peak whose segment would overlap one already taken
    is skipped. Segments are `span_s` long, centred on the peak, shifted to fit the video.

    Args:
        table: the emotion table.
        person: the track id.
        emotion: one of `EMOTIONS`.
        n: at most this many moments.
        span_s: segment length, seconds (> 0).
        duration_s: the video's duration, seconds (default: the last analysed time plus
            `span_s / 2`).

    Returns:
        Rows sorted by time: `frame`, `time_s`, `probability`, `start_s`, `end_s`; empty when
        the person is not in the table.

    Raises:
        ParameterError: unknown emotion, or `n` < 1, or `span_s` <= 0.
    """
    moments = strongest_moments(
        table, n=n, span_s=span_s, duration_s=duration_s, persons=[person], emotions=[emotion]
    )
    columns = ["frame", "time_s", "probability", "start_s", "end_s"]
    return moments[columns].sort_values("time_s", ignore_index=True)


def _boxes_over_time(table: pd.DataFrame, person: float | None):
    """A moviepy frame filter drawing the boxes of the analysed frame shown at time t."""
    rows = table.dropna(subset=["person"])
    if person is not None:
        rows = rows[rows["person"] == float(person)]
    times = np.sort(table["time_s"].unique())
    by_time = {float(t): g for t, g in rows.groupby("time_s")}

    def draw(get_frame, t: float) -> np.ndarray:
        rgb = get_frame(t)
        i = int(np.searchsorted(times, t + 1e-6, side="right")) - 1
        shown = by_time.get(float(times[i])) if i >= 0 else None
        return rgb if shown is None else draw_boxes(rgb, shown)

    return draw


def _write(clip, out_path: Path, with_audio: bool) -> Path:
    """Write a moviepy clip as H.264 yuv420p (+ AAC) to a temporary name, then rename."""

    def write(tmp: Path) -> None:
        clip.write_videofile(
            str(tmp),
            codec="libx264",
            audio=with_audio,
            audio_codec="aac",
            preset="veryfast",
            ffmpeg_params=["-pix_fmt", "yuv420p", "-crf", "23", "-movflags", "+faststart"],
            temp_audiofile_path=str(out_path.parent),
            logger=None,
        )

    try:
        return atomic_write(out_path, write)
    except (OSError, ValueError) as exc:
        raise VideoReadError(f"{out_path}: writing the clip failed ({exc})") from exc


def _open_clip(video: Path):
    from moviepy import VideoFileClip  # moviepy imports numpy/imageio plugins: only when cutting

    if not video.is_file():
        raise VideoReadError(f"{video}: no such file; pass the analysed video")
    try:
        return VideoFileClip(str(video))
    except (OSError, KeyError, IndexError) as exc:
        raise VideoReadError(f"{video}: moviepy cannot read it ({exc})") from exc


def cut_segment(
    video: str | Path,
    start_s: float,
    end_s: float,
    out_path: str | Path,
    table: pd.DataFrame | None = None,
) -> Path:
    """Cut `[start_s, end_s)` of a video, with its sound, to an H.264/AAC mp4.

    Args:
        video: the source video.
        start_s, end_s: the segment, seconds (clipped to the video).
        out_path: the .mp4 to write.
        table: its emotion table: draw the face boxes of the analysed frames (optional).

    Returns:
        `out_path`.

    Raises:
        ParameterError: an empty segment.
        VideoReadError: the video cannot be read or the clip not written.
    """
    source = _open_clip(Path(video))
    try:
        start, end = max(0.0, float(start_s)), min(float(end_s), source.duration)
        if not end > start:
            raise ParameterError(
                f"segment {start_s}..{end_s} s of {Path(video).name} "
                f"({source.duration:.2f} s): empty; give start_s < end_s inside the video"
            )
        clip = source.subclipped(start, end)
        if table is not None:
            clip = clip.transform(_boxes_over_time(table, None), apply_to=[])
        return _write(clip, Path(out_path), source.audio is not None)
    finally:
        source.close()


def highlight_reel(
    video: str | Path,
    table: pd.DataFrame,
    person: float,
    emotion: str,
    out_path: str | Path,
    *,
    n: int = DEFAULT_MOMENTS,
    span_s: float = DEFAULT_SPAN_S,
) -> tuple[Path, pd.DataFrame] | None:
    """A person's strongest moments of an emotion joined into one short clip with sound.

    Args:
        video: the analysed video.
        table: its emotion table.
        person: the track id.
        emotion: one of `EMOTIONS`.
        out_path: the .mp4 to write.
        n: moments in the reel (fewer when the person is seen too briefly).
        span_s: seconds per moment, the peak in the middle.

    Returns:
        (`out_path`, the moments from `reel_moments`, with `reel_start_s`: where each
        moment starts in the reel), or None when the person is not in the table.

    Raises:
        ParameterError, VideoReadError: see `reel_moments` and `cut_segment`.
    """
    from moviepy import concatenate_videoclips  # only when cutting

    source = _open_clip(Path(video))
    try:
        moments = reel_moments(table, person, emotion, n, span_s, duration_s=source.duration)
        if moments.empty:
            return None
        parts = [source.subclipped(r.start_s, r.end_s) for r in moments.itertuples()]
        reel = concatenate_videoclips(parts).transform(
            _boxes_over_time_in_reel(table, person, moments), apply_to=[]
        )
        _write(reel, Path(out_path), source.audio is not None)
    finally:
        source.close()
    lengths = (moments["end_s"] - moments["start_s"]).to_numpy()
    moments["reel_start_s"] = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    log.info(
        "%s: reel of %s %s, %d moments, %.1f s",
        Path(out_path).name,
        person_label(person),
        emotion,
        len(moments),
        lengths.sum(),
    )
    return Path(out_path), moments


def _boxes_over_time_in_reel(table: pd.DataFrame, person: float, moments: pd.DataFrame):
    """The box filter of `_boxes_over_time`, with reel time mapped back to source time."""
    draw_at_source = _boxes_over_time(table, person)
    lengths = (moments["end_s"] - moments["start_s"]).to_numpy()
    reel_starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    starts = moments["start_s"].to_numpy()

    def draw(get_frame, t: float) -> np.ndarray:
        k = max(0, int(np.searchsorted(reel_starts, t + 1e-9, side="right")) - 1)
        source_t = starts[k] + (t - reel_starts[k])
        return draw_at_source(lambda _t: get_frame(t), source_t)

    return draw


def highlight_reels(
    video: str | Path,
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    persons: Sequence[float] | None = None,
    emotions: Sequence[str] = EMOTIONS,
    n: int = DEFAULT_MOMENTS,
    span_s: float = DEFAULT_SPAN_S,
    min_prob: float = 1 / len(EMOTIONS),
) -> dict[tuple[float, str], Path]:
    """Highlight reels per person and emotion whose peak is above `min_prob`.

    Args:
        video: the analysed video.
        table: its emotion table.
        out_dir: folder of the reels, named like `reel-P1-happy.mp4`.
        persons: track ids (default: all).
        emotions: the emotions (default: all seven).
        n, span_s: see `highlight_reel`.
        min_prob: skip an emotion whose strongest moment is not above this (default chance).

    Returns:
        (person, emotion) -> the reel's path.
    """
    out = {}
    peaks = strongest_moments(table, persons=persons, emotions=emotions, min_prob=min_prob)
    for p, emotion in zip(peaks["person"], peaks["emotion"], strict=True):
        path = Path(out_dir) / f"reel-{person_label(p)}-{emotion}.mp4"
        made = highlight_reel(video, table, p, emotion, path, n=n, span_s=span_s)
        if made is not None:
            out[(float(p), emotion)] = made[0]
    return out
