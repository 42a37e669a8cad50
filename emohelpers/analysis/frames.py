"""Frame access by source frame index, for the report, the explainer and the explorer.

`iter_frames` streams a clip from the start; scrubbing, key frames of a report and the faces
to explain need single frames anywhere in the clip. `FrameReader` is a `VideoSource` of its
own with its frame index (`seek.IndexedFrames`: seek to the key frame before, decode
forward, a small cache); `read_frames` reads through the process's shared source, so that a
report's sections decode their frames from the one open file. Indices, times (the player's
clock) and rotation are those of `iter_frames`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from emohelpers.analysis.seek import DEFAULT_CACHE_FRAMES, IndexedFrames
from emohelpers.analysis.shared import shared_source
from emohelpers.analysis.source import VideoSource
from emohelpers.core.errors import ParameterError, VideoReadError

__all__ = ["DEFAULT_CACHE_FRAMES", "FrameReader", "read_frames"]


class FrameReader:
    """Random access to the frames of one video file by source frame index.

    Args:
        video: the video file.
        cache_frames: decoded frames kept (least recently used dropped first); 0 keeps none.

    Attributes:
        path: the file.
        source: its `VideoSource` (this reader's own; closed with it).
        times_s: (n,) float64 presentation time of each frame, seconds on the player's
            clock (the `time_s` of `iter_frames` and of the emotion table).
        key_frames: (k,) int64 indices of the key frames, ascending.

    Raises:
        VideoReadError: for a missing, empty, corrupt file or one without a video stream.
        ParameterError: for a negative or fractional `cache_frames`.

    Example:
        >>> with FrameReader("clip.mp4") as reader:
        ...     rgb = reader.frame(120)          # (h, w, 3) uint8
        ...     batch = reader.read([3, 50, 51])  # {3: ..., 50: ..., 51: ...}
    """

    def __init__(self, video: str | Path, cache_frames: int = DEFAULT_CACHE_FRAMES) -> None:
        if int(cache_frames) != cache_frames or cache_frames < 0:
            raise ParameterError(f"cache_frames={cache_frames!r}: must be an integer >= 0")
        self.source = VideoSource(video)
        self.path = self.source.path
        self.cache_frames = int(cache_frames)
        try:
            self._index = IndexedFrames(self.source, self.cache_frames)
        except VideoReadError:
            self.source.close()
            raise
        self.times_s = self._index.times_s
        self.key_frames = self._index.key_frames

    def __len__(self) -> int:
        """Number of frames in the video."""
        return len(self._index)

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; the reader cannot read afterwards."""
        self.source.close()

    def index_at(self, time_s: float) -> int:
        """The index of the frame shown at `time_s` seconds (the last one starting at or
        before it; 0 before the first frame)."""
        return self._index.index_at(time_s)

    def frame(self, index: int) -> np.ndarray:
        """The upright RGB frame of a source index.

        Args:
            index: frame index in the source video, 0 <= index < len(reader).

        Returns:
            (h, w, 3) uint8 RGB pixels; do not modify them (they may be the cached array).

        Raises:
            ParameterError: for an index outside the video.
            VideoReadError: when the file cannot be decoded up to that frame.
        """
        index = int(index)
        if not 0 <= index < len(self):
            raise ParameterError(
                f"{self.path.name}: frame {index} is outside the video (0..{len(self) - 1})"
            )
        return self.read([index])[index]

    def read(self, indices: Iterable[int]) -> dict[int, np.ndarray]:
        """The frames of several source indices, decoded in one forward pass.

        Args:
            indices: source frame indices, any order, repeats allowed.

        Returns:
            Index -> (h, w, 3) uint8 RGB; indices outside the video are missing.

        Raises:
            VideoReadError: when the file cannot be decoded up to a wanted frame.
        """
        return self._index.read(indices)


def read_frames(video: str | Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """Decode the frames with these source indices, seeking past what is not needed.

    Args:
        video: the video file (read through the process's shared `VideoSource`).
        indices: source frame indices, any order.

    Returns:
        Frame index -> (h, w, 3) uint8 RGB (upright, as `iter_frames` gives them); indices
        not in the file are missing.

    Raises:
        VideoReadError: for an unreadable file.
    """
    indices = list(indices)
    if not indices:
        return {}
    return shared_source(video).read(indices)
