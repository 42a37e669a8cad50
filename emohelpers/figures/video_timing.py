"""When each frame of the annotated video is shown, and the sound that goes with it.

The annotated video keeps the analysed frames' own presentation times (`time_s`, seconds on
the player's clock: a timestamp minus the container's start), so variable-frame-rate clips
stay in sync with their sound; or, when a constant output rate is asked for, it repeats and
drops frames by time. The sound is cut from the source at the same instants: FFmpeg's input
timeline (`-ss`) is that clock too, also when a container starts its video after its sound.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from emohelpers.analysis.shared import shared_source
from emohelpers.core.atomic import disk_full_message
from emohelpers.core.errors import DiskFullError, VideoReadError

#: Time base of the output when the source has none usable, seconds per tick.
FALLBACK_TIME_BASE = Fraction(1, 90000)
#: Display time of a lone frame whose source has no frame rate, seconds.
FALLBACK_FRAME_S = 0.04


@dataclass(frozen=True)
class Schedule:
    """Where the analysed frames go in the output stream.

    Attributes:
        time_base: seconds per pts tick of the output stream.
        pts: (n,) int64 first output pts of each analysed frame.
        repeats: (n,) int64 output frames made of each analysed frame (0: dropped;
            always 1 at the source's own times).
        start_s: source time of output time 0, seconds on the player's clock.
        duration_s: output duration, seconds (the last frame shown for its own duration).
        rate: nominal output frame rate, frames per second (for the encoder and players).
    """

    time_base: Fraction
    pts: np.ndarray
    repeats: np.ndarray
    start_s: float
    duration_s: float
    rate: Fraction


def frame_durations(times_s: np.ndarray, source_fps: float = 0.0) -> np.ndarray:
    """How long each frame is shown: until the next one; the last for the median step.

    Args:
        times_s: (n,) increasing presentation times, seconds.
        source_fps: the source's frame rate, for a lone frame (0: unknown).

    Returns:
        (n,) float64 durations, seconds, all > 0.
    """
    t = np.asarray(times_s, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0)
    steps = np.diff(t)
    if len(steps) and (steps > 0).any():
        last = float(np.median(steps[steps > 0]))
    else:
        last = 1.0 / source_fps if source_fps > 0 else FALLBACK_FRAME_S
    return np.append(np.maximum(steps, 0.0), last)


def schedule(
    times_s: np.ndarray,
    *,
    time_base: Fraction | None = None,
    fps: float | None = None,
    source_fps: float = 0.0,
) -> Schedule:
    """Output timing of analysed frames: at their own times, or resampled to `fps`.

    Args:
        times_s: (n,) increasing presentation times of the analysed frames, seconds.
        time_base: the source stream's time base (keeps its times exact); default 1/90000.
        fps: a constant output rate instead: output frame k shows the last analysed frame
            at or before `start + k / fps` (frames repeated or dropped by time).
        source_fps: the source's average frame rate (0: unknown), for the nominal rate.

    Returns:
        A `Schedule`.
    """
    t = np.asarray(times_s, dtype=np.float64)
    if len(t) == 0:
        raise ValueError("schedule: no frames")
    durations = frame_durations(t, source_fps)
    start, end = float(t[0]), float(t[-1] + durations[-1])
    if fps is not None:
        rate = Fraction(fps).limit_denominator(1001)
        n_out = max(1, math.ceil((end - start) * float(rate) - 1e-6))
        ticks = start + np.arange(n_out) / float(rate)
        shown = np.searchsorted(t, ticks + 1e-6, side="right") - 1
        repeats = np.bincount(shown, minlength=len(t)).astype(np.int64)
        pts = np.concatenate([[0], np.cumsum(repeats)[:-1]]).astype(np.int64)
        return Schedule(1 / rate, pts, repeats, start, n_out / float(rate), rate)
    tb = time_base if time_base else FALLBACK_TIME_BASE
    pts = np.round((t - start) / float(tb)).astype(np.int64)
    pts = _strictly_increasing(pts)
    steps = durations[durations > 0]
    nominal = 1.0 / float(np.median(steps)) if len(steps) else (source_fps or 25.0)
    rate = Fraction(nominal).limit_denominator(1001) or Fraction(25)
    return Schedule(tb, pts, np.ones(len(t), np.int64), start, end - start, rate)


def _strictly_increasing(pts: np.ndarray) -> np.ndarray:
    """Equal neighbours (times closer than one tick) pushed one tick apart."""
    out = pts.copy()
    for i in range(1, len(out)):
        if out[i] <= out[i - 1]:
            out[i] = out[i - 1] + 1
    return out


def stream_timing(path: Path) -> tuple[Fraction | None, float]:
    """The video stream's time base and when its first frame is shown, seconds on the
    player's clock (0.85 for a video that starts 0.85 s after the container).

    Returns:
        `(time_base, start_s)`, from the clip's `VideoSource`.
    """
    source = shared_source(path)
    return source.time_base, source.info.start_s


def mux_audio(video_only: Path, source: Path, out_path: Path, start_s: float, dur_s: float):
    """Copy the video of `video_only` and `dur_s` of the source's sound from `start_s`.

    Args:
        video_only: the annotated pictures, no sound.
        source: the source video with its sound.
        out_path: the file to write.
        start_s: where the sound starts, seconds on the player's clock (FFmpeg's input
            timeline, which `-ss` counts from).
        dur_s: the annotated video's duration, seconds.

    The sound is cut to the video, never the video to the sound (`-shortest` would drop
    frames when the sound ends first).
    """
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(video_only),
        "-ss",
        f"{max(start_s, 0.0):.6f}",
        "-t",
        f"{dur_s:.6f}",
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(out_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 and "No space left on device" in done.stderr:
        # ffmpeg's words for ENOSPC: the one line of a full disk, not a video error.
        raise DiskFullError(disk_full_message(out_path))
    if done.returncode != 0:
        raise VideoReadError(
            f"{source.name}: muxing its audio failed: {done.stderr.strip()[-500:]}"
        )
