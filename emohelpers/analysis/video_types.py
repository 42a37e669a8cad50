"""The plain values of video reading: what a file is (`VideoInfo`), one decoded frame
(`Frame`), how far decoding got (`DecodeStatus`), which frames a sampling keeps, and the
byte budgets of decoded frames, and `upright`, the one place rotation is applied. Reading
is `source.VideoSource`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

#: Frames larger than this (pixels; 1080p is 2.1 M) are decoded by at most
#: `LARGE_FRAME_THREADS` threads, each of which holds frames of its own.
LARGE_FRAME_PX = 1920 * 1088
LARGE_FRAME_THREADS = 4
#: Bytes of decoded frames that the decoder may hold ahead of the consumer.
PREFETCH_BYTES = 64 * 2**20

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv")


def upright(frame: av.VideoFrame) -> np.ndarray:
    """(h, w, 3) uint8 RGB of a decoded frame, rotated as its display matrix says, so that
    it is shown as players show it: the one place rotation is applied."""
    rgb = frame.to_ndarray(format="rgb24")
    k = int(round((frame.rotation or 0) / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


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
        start_s: when the first frame is shown, seconds on the player's clock (the
            container's start is 0): 0.85 for a video that starts 0.85 s after its sound.
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
    start_s: float = 0.0

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
        time_s: presentation time, seconds on the player's clock (the frame's timestamp
            minus the container's start time).
        rgb: (h, w, 3) uint8 RGB pixels, upright.
        shot: index of the shot the frame belongs to (0 unless a shot detector ran).
    """

    index: int
    time_s: float
    rgb: np.ndarray
    shot: int = 0


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


class Sampler:
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
        claimed_s: where the video stream ends as its container claims it, seconds on the
            player's clock.
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


def ends_early(
    decoded_until_s: float | None, claimed_s: float, fps: float, end_s: float | None = None
) -> bool:
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
