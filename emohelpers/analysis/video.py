"""Reading video: probe a file, stream its frames (sampled), never the whole clip in memory.

Frames are decoded with PyAV (FFmpeg) in a background thread that stays a few frames ahead
of the consumer, so decoding overlaps with detection and classification. Times come from the
decoder's presentation timestamps, so variable frame rates are handled; rotation metadata
(display matrix) is applied so that frames come out upright, as players show them.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from emohelpers.analysis.media import check_media_file, open_media
from emohelpers.core.background import in_background
from emohelpers.core.errors import VideoReadError
from emohelpers.core.settings import check_sampling

log = logging.getLogger(__name__)

#: Frames larger than this (pixels; 1080p is 2.1 M) are decoded by at most
#: `LARGE_FRAME_THREADS` threads, each of which holds frames of its own.
LARGE_FRAME_PX = 1920 * 1088
LARGE_FRAME_THREADS = 4
#: Bytes of decoded frames that the decoder may hold ahead of the consumer.
PREFETCH_BYTES = 64 * 2**20

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
    return check_media_file(path, VideoReadError, "a video file")


def _open(path: Path) -> av.container.InputContainer:
    container = open_media(path, VideoReadError, "a video")
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


def frames_within(budget_bytes: int, width: int, height: int, wanted: int) -> int:
    """How many (height, width, 3) uint8 frames fit in a byte budget, at most `wanted`.

    Args:
        budget_bytes: bytes allowed for the frames.
        width, height: frame size, pixels.
        wanted: the count asked for.

    Returns:
        `min(wanted, budget // frame bytes)`, at least 1: a 640x360 frame is 0.7 MB, a
        3840x2160 one 24.9 MB, so 4K video holds fewer frames at a time, not more memory.
    """
    frame_bytes = max(1, int(width) * int(height) * 3)
    return max(1, min(int(wanted), int(budget_bytes) // frame_bytes))


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


@dataclass
class DecodeStatus:
    """How far decoding got; filled in by `iter_frames` as it runs, final once it ends.

    Attributes:
        frames_decoded: frames the decoder produced (before sampling).
        decoded_until_s: presentation time of the last decoded frame, seconds (None: none).
        claimed_s: the video stream's duration as its container claims it, seconds.
        truncated: the video ended early: a decoder error after some frames, or the last
            frame well short of the claimed duration (a cut or damaged file).
        reason: why `truncated` is set, one phrase ("" when it is not).
    """

    frames_decoded: int = 0
    decoded_until_s: float | None = None
    claimed_s: float = 0.0
    truncated: bool = False
    reason: str = ""

    def as_dict(self) -> dict:
        """JSON-ready fields, for the provenance."""
        return {"decoded_until_s": self.decoded_until_s, "truncated": self.truncated}


def _claimed_duration(container, stream) -> float:
    if stream.duration is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def ends_early(decoded_until_s: float | None, claimed_s: float, fps: float,
               end_s: float | None = None) -> bool:  # fmt: skip
    """Whether a stream's last frame falls well short of where it should end.

    Args:
        decoded_until_s: presentation time of the last decoded frame, seconds.
        claimed_s: the duration the container claims, seconds (0: unknown, never early).
        fps: nominal frame rate (0: unknown).
        end_s: the end of the requested range, seconds, if one was asked for.

    Returns:
        True when the last frame plus one frame period ends more than two frame periods
        (at least 0.2 s) before the claimed end: containers round their durations and
        count a last frame's display time, never by seconds.
    """
    if decoded_until_s is None or claimed_s <= 0:
        return False
    period = 1.0 / fps if fps > 0 else 0.0
    expected_end = claimed_s if end_s is None else min(claimed_s, end_s)
    return decoded_until_s + period < expected_end - max(2 * period, 0.2)


def _decoded(path: Path, every_n, fps, start_s, end_s, status: DecodeStatus,
             shots=None) -> Iterator[Frame]:  # fmt: skip
    """Decode, sample and convert frames (runs in the decoder thread).

    A decoder error after the first frame, or a last frame short of the claimed duration,
    marks `status` truncated and logs one warning: the frames decoded so far stand.
    """
    index, shot = -1, 0
    reached_end = False
    try:
        container = _open(path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            cc = stream.codec_context
            if cc.width * cc.height > LARGE_FRAME_PX:
                # Each frame thread holds frames of its own: bounded on many-core machines.
                cc.thread_count = min(os.cpu_count() or 1, LARGE_FRAME_THREADS)
            start, tb = _stream_start(stream), stream.time_base
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            status.claimed_s = _claimed_duration(container, stream)
            sampler = _Sampler(every_n, fps)
            try:
                for frame in container.decode(stream):
                    index += 1
                    if frame.pts is None:
                        time_s = index / (rate or 1.0)
                    else:
                        time_s = float((frame.pts - start) * tb)
                    if end_s is not None and time_s >= end_s:
                        reached_end = True
                        break
                    status.frames_decoded = index + 1
                    status.decoded_until_s = time_s
                    if start_s is not None and time_s < start_s - 5e-7:
                        continue
                    if shots is not None:  # every decoded frame, so no cut is missed
                        shot = shots.update(frame, index, time_s)
                    if not sampler.keep(index, time_s):
                        continue
                    rgb = frame.to_ndarray(format="rgb24")
                    k = int(round((frame.rotation or 0) / 90.0)) % 4
                    if k:
                        rgb = np.ascontiguousarray(np.rot90(rgb, k))
                    yield Frame(index, time_s, rgb, shot)
            except av.error.FFmpegError as exc:
                if index < 0:
                    raise
                status.truncated = True
                status.reason = f"decoding failed after frame {index} ({exc})"
            if not (status.truncated or reached_end) and ends_early(
                status.decoded_until_s, status.claimed_s, rate, end_s
            ):
                status.truncated = True
                status.reason = (
                    f"its last frame is at {status.decoded_until_s:.2f} s of the "
                    f"{status.claimed_s:.2f} s its container claims"
                )
        finally:
            container.close()
    except av.error.FFmpegError as exc:
        raise VideoReadError(
            f"{path}: decoding failed after frame {index} (corrupt: {exc})"
        ) from exc
    if status.truncated:
        until = status.decoded_until_s or 0.0
        log.warning("%s: the video ends early, truncated or damaged: %s; only its first "
                    "%.2f s are analysed", path.name, status.reason, until)  # fmt: skip


def iter_frames(
    path: str | Path,
    every_n: int | None = None,
    fps: float | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    prefetch: int | None = None,
    status: DecodeStatus | None = None,
    shots=None,
) -> Iterator[Frame]:
    """Stream the frames of a video, sampled, decoded ahead in a background thread.

    Args:
        path: the video file.
        every_n: keep every n-th frame (1 = all). Mutually exclusive with `fps`.
        fps: keep one frame per 1/fps seconds of presentation time (variable-rate safe).
        start_s: skip frames before this time, seconds.
        end_s: stop at this time, seconds (exclusive).
        prefetch: frames decoded ahead; default 8, fewer for large frames, so that they
            hold at most `PREFETCH_BYTES` (a 640x360 frame is 0.7 MB, a 4K one 24.9 MB).
        status: filled in with how far decoding got and whether the video ended early
            (read it once the frames are exhausted).
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
    container = _open(p)  # fail here, in the caller's thread, for unreadable files
    if prefetch is None:
        cc = container.streams.video[0].codec_context
        prefetch = frames_within(PREFETCH_BYTES, cc.width, cc.height, 8)
    container.close()
    yield from in_background(
        _decoded(
            p, every_n, fps, start_s, end_s, DecodeStatus() if status is None else status, shots
        ),
        depth=prefetch,
        name="emohelpers-decode",
    )


def list_videos(folder: str | Path) -> list[Path]:
    """Video files directly inside `folder` (by suffix), sorted by name."""
    return sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )
