"""Reading video: probe a file, stream its frames (sampled), never the whole clip in memory.

Frames are decoded with PyAV (FFmpeg) in a background thread that stays a few frames ahead
of the consumer, so decoding overlaps with detection and classification. Times come from the
decoder's presentation timestamps, so variable frame rates are handled; rotation metadata
(display matrix) is applied so that frames come out upright, as players show them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from emohelpers.core.background import in_background
from emohelpers.core.errors import VideoReadError
from emohelpers.core.settings import check_sampling

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv")


@dataclass(frozen=True)
class VideoInfo:
    """What a video file is, as its container and first frame say.

    Attributes:
        path: the file.
        width, height: displayed size in pixels (after rotation).
        fps: average frame rate, frames per second.
        n_frames: frame count (from the container; estimated from duration when absent).
        duration_s: duration of the video stream, seconds.
        rotation: degrees counter-clockwise applied to decoded frames to show them upright.
        has_audio: whether the file has an audio stream.
        codec: the video codec's name.
        size_bytes: file size.
    """

    path: Path
    width: int
    height: int
    fps: float
    n_frames: int
    duration_s: float
    rotation: int
    has_audio: bool
    codec: str
    size_bytes: int

    def as_dict(self) -> dict:
        """JSON-ready fields, for the provenance."""
        d = self.__dict__.copy()
        d["path"] = str(self.path)
        return d


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        index: index of the frame in the source video (0-based, presentation order).
        time_s: presentation time, seconds from the start of the video stream.
        rgb: (h, w, 3) uint8 RGB pixels, upright.
        shot: index of the shot the frame belongs to (0 unless a shot detector ran).
    """

    index: int
    time_s: float
    rgb: np.ndarray
    shot: int = 0


def _check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise VideoReadError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise VideoReadError(f"{p}: is a directory, expected a video file")
    if p.stat().st_size == 0:
        raise VideoReadError(f"{p}: the file is empty (0 bytes)")
    return p


def _open(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoReadError(
            f"{path}: cannot be read as a video (corrupt or unsupported format: {exc})"
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoReadError(f"{path}: has no video stream (audio only or not a video)")
    return container


def _stream_start(stream) -> int:
    return stream.start_time if stream.start_time is not None else 0


def probe_video(path: str | Path) -> VideoInfo:
    """Describe a video file; decodes one frame to prove it is readable.

    Raises:
        VideoReadError: missing, empty, a directory, corrupt, or without a video stream.
    """
    p = _check_file(path)
    container = _open(p)
    try:
        stream = container.streams.video[0]
        try:
            first = next(container.decode(stream))
        except (av.error.FFmpegError, StopIteration) as exc:
            raise VideoReadError(f"{p}: no frame could be decoded (corrupt video: {exc})") from exc
        rotation = int(round((first.rotation or 0) / 90.0)) * 90 % 360
        w, h = first.width, first.height
        if rotation in (90, 270):
            w, h = h, w
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        fps = float(rate)
        if stream.duration is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        n_frames = int(stream.frames) or (int(round(duration * fps)) if fps else 0)
        return VideoInfo(
            path=p,
            width=w,
            height=h,
            fps=fps,
            n_frames=n_frames,
            duration_s=duration,
            rotation=rotation,
            has_audio=bool(container.streams.audio),
            codec=stream.codec_context.name,
            size_bytes=p.stat().st_size,
        )
    finally:
        container.close()


class _Sampler:
    """Decides which decoded frames to keep: every n-th, or one per 1/fps seconds."""

    def __init__(self, every_n: int | None, fps: float | None) -> None:
        self.every_n = every_n
        self.period = 1.0 / fps if fps else None
        self.next_t = 0.0

    def keep(self, index: int, time_s: float) -> bool:
        if self.period is None:
            return index % (self.every_n or 1) == 0
        # Half a microsecond of slack: timestamps are rationals rounded to floats.
        if time_s + 5e-7 >= self.next_t:
            # Skip whole periods when the source is sparser than the target rate.
            self.next_t += self.period * max(
                1, math.floor((time_s - self.next_t) / self.period) + 1
            )
            return True
        return False


def _decoded(path: Path, every_n, fps, start_s, end_s, shots=None) -> Iterator[Frame]:
    """Decode, sample and convert frames (runs in the decoder thread)."""
    index, shot = -1, 0
    try:
        container = _open(path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            start, tb = _stream_start(stream), stream.time_base
            sampler = _Sampler(every_n, fps)
            for frame in container.decode(stream):
                index += 1
                if frame.pts is None:
                    time_s = index / float(stream.average_rate or 1)
                else:
                    time_s = float((frame.pts - start) * tb)
                if start_s is not None and time_s < start_s - 5e-7:
                    continue
                if end_s is not None and time_s >= end_s:
                    break
                if shots is not None:  # every decoded frame, so no cut is missed
                    shot = shots.update(frame, index, time_s)
                if not sampler.keep(index, time_s):
                    continue
                rgb = frame.to_ndarray(format="rgb24")
                k = int(round((frame.rotation or 0) / 90.0)) % 4
                if k:
                    rgb = np.ascontiguousarray(np.rot90(rgb, k))
                yield Frame(index, time_s, rgb, shot)
        finally:
            container.close()
    except av.error.FFmpegError as exc:
        raise VideoReadError(
            f"{path}: decoding failed after frame {index} (corrupt: {exc})"
        ) from exc


def iter_frames(
    path: str | Path,
    every_n: int | None = None,
    fps: float | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    prefetch: int = 8,
    shots=None,
) -> Iterator[Frame]:
    """Stream the frames of a video, sampled, decoded ahead in a background thread.

    Args:
        path: the video file.
        every_n: keep every n-th frame (1 = all). Mutually exclusive with `fps`.
        fps: keep one frame per 1/fps seconds of presentation time (variable-rate safe).
        start_s: skip frames before this time, seconds.
        end_s: stop at this time, seconds (exclusive).
        prefetch: frames decoded ahead; bounds the memory held (each 640x360 frame ~0.7 MB).
        shots: a shot detector (`tracking.shots.ShotDetector`) fed every decoded frame in
            the time range, analysed or not; its shot index is each yielded frame's `shot`.

    Yields:
        `Frame` objects in presentation order.

    Raises:
        VideoReadError: for a missing, empty, corrupt file or one without video.
        ParameterError: for invalid sampling settings.
    """
    check_sampling(every_n, fps)
    p = _check_file(path)
    _open(p).close()  # fail here, in the caller's thread, for unreadable files
    yield from in_background(
        _decoded(p, every_n, fps, start_s, end_s, shots), depth=prefetch, name="emohelpers-decode"
    )


def list_videos(folder: str | Path) -> list[Path]:
    """Video files directly inside `folder` (by suffix), sorted by name."""
    return sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )
