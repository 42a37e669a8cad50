"""Reading video: probe a file, stream its frames (sampled), never the whole clip in memory.

Both go through the one reader, `source.VideoSource` (shared per process by
`shared_source`): frames are decoded with PyAV (FFmpeg) in a background thread that stays a
few frames ahead of the consumer, so decoding overlaps with detection and classification.
Times are the decoder's presentation timestamps on the player's clock (minus the
container's start time), so variable frame rates and late-starting video are handled;
rotation metadata (display matrix) is applied so that frames come out upright.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from emohelpers.analysis.shared import shared_source
from emohelpers.analysis.source import VideoSource
from emohelpers.analysis.video_types import (
    LARGE_FRAME_PX,
    LARGE_FRAME_THREADS,
    PREFETCH_BYTES,
    VIDEO_SUFFIXES,
    DecodeStatus,
    Frame,
    VideoInfo,
    ends_early,
    frames_within,
)
from emohelpers.core.background import in_background
from emohelpers.core.settings import check_sampling

__all__ = [
    "LARGE_FRAME_PX",
    "LARGE_FRAME_THREADS",
    "PREFETCH_BYTES",
    "VIDEO_SUFFIXES",
    "DecodeStatus",
    "Frame",
    "VideoInfo",
    "VideoSource",
    "ends_early",
    "frames_within",
    "iter_frames",
    "list_videos",
    "probe_video",
]


def probe_video(path: str | Path) -> VideoInfo:
    """Describe a video file; decodes one frame to prove it is readable.

    Raises:
        VideoReadError: missing, empty, a directory, corrupt, or without a video stream.
    """
    return shared_source(path).info


def iter_frames(
    path: str | Path | VideoSource,
    every_n: int | None = None,
    fps: float | None = None,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    prefetch: int | None = None,
    status: DecodeStatus | None = None,
    shots=None,
) -> Generator[Frame, None, None]:
    """Stream the frames of a video, sampled, decoded ahead in a background thread.

    Args:
        path: the video file (or an open `VideoSource`).
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
    # Opened and probed here, in the caller's thread: unreadable files fail at the call.
    source = path if isinstance(path, VideoSource) else shared_source(path)
    if prefetch is None:
        info = source.info
        prefetch = frames_within(PREFETCH_BYTES, info.width, info.height, 8)
    frames = source.frames(every_n, fps, start_s=start_s, end_s=end_s, status=status, shots=shots)
    yield from in_background(frames, depth=prefetch, name="emohelpers-decode")


def list_videos(folder: str | Path) -> list[Path]:
    """Video files directly inside `folder` (by suffix), sorted by name."""
    return sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )
