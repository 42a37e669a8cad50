"""Real faces for the cast tests and the persons benchmark: a cast photo cropped from one
frame of a sample clip, and altered copies of the sample clips (another scene of the same
person, two persons side by side)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tests.media import splice


def frame_at(video: Path, time_s: float) -> np.ndarray:
    """The (h, w, 3) uint8 RGB frame of `video` shown at `time_s`."""
    from emohelpers.analysis.video import iter_frames

    return next(iter(iter_frames(video, start_s=time_s))).rgb


def cast_photo(video: Path, time_s: float, out: Path, margin: float = 0.6) -> Path:
    """A reference photo: the largest face of `video`'s frame at `time_s`, with `margin`
    (a fraction of the box's side) around it, saved as `out` (.jpg or .png)."""
    from emohelpers.analysis.detect import FaceDetector

    rgb = frame_at(video, time_s)
    found = FaceDetector(device=torch.device("cpu"), batch_size=1).detect([rgb])[0]
    assert len(found), f"{video.name} at {time_s} s: no face to make a cast photo of"
    x1, y1, x2, y2 = found.xyxy[0]
    m = margin * max(x2 - x1, y2 - y1)
    h, w = rgb.shape[:2]
    crop = rgb[int(max(0, y1 - m)) : int(min(h, y2 + m)), int(max(0, x1 - m)) : int(min(w, x2 + m))]
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(crop).save(out)
    return out


def altered_clips(sample_dir: Path, out: Path) -> dict[str, Path]:
    """Copies of the sample clips made for linking: the woman of the main clip in another
    scene (12-18 s), and the woman and the man side by side in
    one frame (two persons who may never merge)."""
    out.mkdir(parents=True, exist_ok=True)
    woman, man = sample_dir / "WolfgangLanger_Pexels.mp4", sample_dir / "single_face.mp4"
    return {
        "woman_later": splice(out / "woman_later.mp4", [[(woman, 12, 6)]]),
        "duo": splice(out / "duo.mp4", [[(woman, 2, 2), (man, 0, 2)]]),
    }
