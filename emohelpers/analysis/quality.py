"""How readable a face is: one `quality` in [0, 1] per face, from the detector and the crop.

Five aspects, each mapped to [0, 1] by a ramp between a level where expression models are
known to fail and one where they read faces as on their training photos:

- size: the box's shorter side, pixels; 0 at `SIZE_PX[0]` (24 px: the eyes and mouth are a
  few pixels), 1 at `SIZE_PX[1]` (72 px and up), linear in log2 between;
- sharpness: the crop's (64x64 gray) Laplacian energy relative to its intensity variance,
  contrast-invariant; 0 for a crop as blurred as a 22-px face scaled up, 1 for a focused one;
- pose: from the detector's five landmarks, the nose's horizontal offset from the eyes'
  midpoint relative to the inter-eye distance (0 frontal, about 0.5 in profile) and the
  eye line's tilt; 1 up to `YAW_OK`, 0 at `YAW_BAD` (roll: 1 up to 20 degrees, 0 at 45);
- detector probability: 0 at 0.80, 1 at 0.98;
- exposure: the crop's mean brightness and share of clipped pixels; 1 for a mean between
  50 and 205 (of 255) with under 10% clipped, 0 for a mean under 12 or over 243 or 60%
  clipped.

The quality is the product of the five: each aspect is a soft gate (1 passes, 0 fails), so
one failing aspect makes the face unreadable whatever the others say, and a face that fails
none keeps 1. Pure functions of arrays.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SIZE_PX = (24.0, 72.0)
YAW_OK, YAW_BAD = 0.15, 0.45
ROLL_OK_DEG, ROLL_BAD_DEG = 20.0, 45.0
DET_PROB = (0.80, 0.98)
#: Laplacian-to-variance ratio: 0 and 1 of the sharpness ramp. Measured on the sample clips'
#: faces (64x64 crops): focused 0.18-0.36; scaled down to 24 px and back 0.017-0.024, to
#: 16 px 0.006-0.008.
SHARPNESS = (0.015, 0.10)
ASPECTS = ("size", "sharpness", "pose", "det_prob", "exposure")


def _ramp(x: np.ndarray | float, lo: float, hi: float) -> np.ndarray:
    return np.clip((np.asarray(x, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)


def size_score(xyxy: np.ndarray) -> np.ndarray:
    """(n, 4) boxes -> (n,) size scores."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    side = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]).clip(min=1.0)
    return _ramp(np.log2(side), np.log2(SIZE_PX[0]), np.log2(SIZE_PX[1]))


def pose_score(landmarks: np.ndarray | None, n: int) -> np.ndarray:
    """(n, 5, 2) MTCNN landmarks (eyes, nose, mouth corners) -> (n,) pose scores; 1 when absent."""
    if landmarks is None:
        return np.ones(n)
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 5, 2)
    left, right, nose = pts[:, 0], pts[:, 1], pts[:, 2]
    eye_vec = right - left
    eye_dist = np.linalg.norm(eye_vec, axis=1).clip(min=1e-6)
    mid = (left + right) / 2
    # The nose's offset along the eye line, in eye distances: 0 frontal, ~0.5 in profile.
    along = np.abs(((nose - mid) * eye_vec).sum(axis=1)) / eye_dist**2
    roll = np.degrees(np.abs(np.arctan2(eye_vec[:, 1], eye_vec[:, 0])))
    yaw_s = 1 - _ramp(along, YAW_OK, YAW_BAD)
    roll_s = 1 - _ramp(roll, ROLL_OK_DEG, ROLL_BAD_DEG)
    return yaw_s * roll_s


def _gray64(crop: np.ndarray) -> np.ndarray:
    img = Image.fromarray(np.asarray(crop, dtype=np.uint8)).convert("L")
    return np.asarray(img.resize((64, 64), Image.Resampling.BILINEAR), dtype=np.float64)


def sharpness_ratio(gray: np.ndarray) -> float:
    """Laplacian energy over intensity variance of a gray image (contrast-invariant)."""
    g = np.asarray(gray, dtype=np.float64)
    lap = (
        -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    )  # 4-neighbour Laplacian
    var = g.var()
    return float(lap.var() / var) if var > 1e-6 else 0.0


def crop_scores(crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Face crops (h, w, 3) uint8 RGB -> (n,) sharpness and (n,) exposure scores."""
    sharp, expo = np.ones(len(crops)), np.ones(len(crops))
    for i, crop in enumerate(crops):
        g = _gray64(crop)
        sharp[i] = _ramp(sharpness_ratio(g), *SHARPNESS)
        mean = g.mean()
        clipped = float(((g < 8) | (g > 247)).mean())
        level = min(_ramp(mean, 12, 50), 1 - _ramp(mean, 205, 243))
        expo[i] = level * (1 - _ramp(clipped, 0.10, 0.60))
    return sharp, expo


def face_quality(
    xyxy: np.ndarray,
    det_prob: np.ndarray,
    crops: list[np.ndarray],
    landmarks: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The quality of n faces and its five aspects.

    Args:
        xyxy: (n, 4) boxes in source pixels.
        det_prob: (n,) detector probabilities.
        crops: n face crops, (h, w, 3) uint8 RGB (the classifier's crops).
        landmarks: (n, 5, 2) landmarks in source pixels, or None (pose then counts as 1).

    Returns:
        (n,) float64 quality in [0, 1], and each aspect's (n,) scores by name.
    """
    n = len(crops)
    if (
        np.asarray(xyxy).reshape(-1, 4).shape[0] != n
        or np.asarray(det_prob).reshape(-1).shape[0] != n
    ):
        raise ValueError(f"face_quality: expected {n} boxes and probabilities for {n} crops")
    sharp, expo = crop_scores(crops)
    aspects = {
        "size": size_score(xyxy),
        "sharpness": sharp,
        "pose": pose_score(landmarks, n),
        "det_prob": _ramp(np.asarray(det_prob, dtype=np.float64).reshape(-1), *DET_PROB),
        "exposure": expo,
    }
    quality = np.prod(np.stack([aspects[a] for a in ASPECTS]), axis=0) if n else np.zeros(0)
    return quality, aspects
