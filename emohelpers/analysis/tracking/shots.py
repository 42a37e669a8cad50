"""Shot cuts, found on every decoded frame (also those not analysed).

The measure is PySceneDetect's ContentDetector's: the mean absolute change of hue,
saturation and brightness between consecutive frames (OpenCV's HSV scales: hue 0-180,
saturation and value 0-255), with a cut where it exceeds a threshold (27 there too), no
sooner than a shortest shot after the previous cut. It runs on 64x36 thumbnails scaled by
FFmpeg inside our own decoding pass, so it costs no second decode of the video and no
OpenCV (which `scenedetect` needs for this detector); `benchmarks/tracking.py` measures it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

#: Thumbnail size (width, height) the change is measured on.
THUMB_SIZE = (64, 36)


def thumbnail(frame) -> np.ndarray:
    """A `THUMB_SIZE` RGB thumbnail of a decoded frame, (36, 64, 3) uint8.

    8-bit 4:2:0 frames (nearly all video) are point-sampled straight from their planes and
    converted with BT.601 in numpy (0.15 ms for a 640x360 frame here); other pixel formats
    are scaled by FFmpeg (0.4-0.9 ms).

    Args:
        frame: an `av.VideoFrame`.
    """
    tw, th = THUMB_SIZE
    if frame.format.name not in ("yuv420p", "yuvj420p"):
        return frame.to_ndarray(width=tw, height=th, format="rgb24", interpolation="FAST_BILINEAR")
    w, h = frame.width, frame.height
    rows = np.arange(th) * h // th + h // (2 * th)
    cols = np.arange(tw) * w // tw + w // (2 * tw)
    planes = []
    for k, plane in enumerate(frame.planes[:3]):
        a = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        sub = 1 if k == 0 else 2
        planes.append(a[rows[:, None] // sub, cols[None, :] // sub])
    y, u, v = (p.astype(np.float32) for p in planes)
    if frame.format.name == "yuv420p":  # limited range
        y = (y - 16) * 1.164
    u, v = u - 128, v - 128
    rgb = np.stack([y + 1.596 * v, y - 0.392 * u - 0.813 * v, y + 2.017 * u], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def hsv(rgb: np.ndarray) -> np.ndarray:
    """RGB -> HSV on OpenCV's 8-bit scales.

    Args:
        rgb: (h, w, 3) uint8.

    Returns:
        (h, w, 3) float32: hue in [0, 180), saturation and value in [0, 255].
    """
    x = rgb.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(axis=-1)
    c = v - x.min(axis=-1)
    s = np.divide(c * 255, v, out=np.zeros_like(v), where=v > 0)
    safe = np.where(c > 0, c, 1)
    h = np.where(v == r, (g - b) / safe, np.where(v == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    h = np.where(c > 0, (h * 30) % 180, 0)
    return np.stack([h, s, v], axis=-1)


def content_change(a_hsv: np.ndarray, b_hsv: np.ndarray) -> float:
    """Mean absolute change of hue, saturation and value between two HSV images (0-255)."""
    return float(np.abs(a_hsv - b_hsv).mean())


@dataclass
class ShotDetector:
    """Numbers shots (0, 1, ...) over a stream of decoded frames, in decoding order.

    Attributes:
        threshold: content change above which a cut starts a new shot.
        min_shot_s: a cut sooner than this after the previous one is ignored, seconds.
        cuts: (frame index, time in seconds) of each cut found: the first frame of a shot.
    """

    threshold: float = 27.0
    min_shot_s: float = 0.5
    cuts: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0  # time spent here (in the decoder thread), for the benchmark
    _prev: np.ndarray | None = field(default=None, repr=False)
    _shot_start_s: float = field(default=0.0, repr=False)  # set by the first frame

    @property
    def shot(self) -> int:
        """Index of the current shot."""
        return len(self.cuts)

    def update_rgb(self, thumb_rgb: np.ndarray, index: int, time_s: float) -> int:
        """The shot of a frame given as a small RGB thumbnail (h, w, 3) uint8."""
        cur = hsv(thumb_rgb)
        if self._prev is None:
            self._shot_start_s = time_s
        elif (
            content_change(self._prev, cur) > self.threshold
            and time_s - self._shot_start_s >= self.min_shot_s - 1e-6
        ):
            self.cuts.append((int(index), float(time_s)))
            self._shot_start_s = time_s
        self._prev = cur
        return self.shot

    def update(self, frame, index: int, time_s: float) -> int:
        """The shot of one decoded frame.

        Args:
            frame: an `av.VideoFrame`.
            index: the frame's index in the video.
            time_s: its presentation time, seconds.
        """
        t0 = time.perf_counter()
        shot = self.update_rgb(thumbnail(frame), index, time_s)
        self.seconds += time.perf_counter() - t0
        return shot

    def info(self) -> dict:
        """Method, settings and cuts found, for the provenance."""
        return {
            "method": "HSV content change on 64x36 thumbnails of every decoded frame",
            "threshold": self.threshold,
            "min_shot_s": self.min_shot_s,
            "cuts_frame": [i for i, _ in self.cuts],
            "cuts_s": [round(t, 6) for _, t in self.cuts],
        }
