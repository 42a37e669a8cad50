"""Frames by index: the one way to fetch particular frames of a video (reports, the
explainer, the explorer), with the same indices and rotation as `video.iter_frames`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from emohelpers.analysis.video import iter_frames


def read_frames(video: str | Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """Decode the frames with these source indices, in one forward pass.

    Args:
        video: the video file.
        indices: source frame indices (any order, duplicates allowed).

    Returns:
        Frame index -> (h, w, 3) uint8 RGB; indices not in the file are missing.
    """
    wanted = {int(i) for i in indices}
    out: dict[int, np.ndarray] = {}
    if not wanted:
        return out
    last = max(wanted)
    frames = iter_frames(video)
    try:
        for frame in frames:
            if frame.index in wanted:
                out[frame.index] = frame.rgb
            if frame.index >= last:
                break
    finally:
        frames.close()
    return out
