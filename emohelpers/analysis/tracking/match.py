"""Box overlap and optimal one-to-one matching of tracks to detections (pure functions)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in `a` with every box in `b`.

    Args:
        a: (n, 4) boxes xyxy.
        b: (m, 4) boxes xyxy.

    Returns:
        (n, m) float64 IoU in [0, 1].
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def associate(
    track_boxes: np.ndarray, det_boxes: np.ndarray, iou_min: float
) -> list[tuple[int, int]]:
    """Optimal one-to-one matching of tracks to detections: the largest total IoU (Hungarian
    algorithm), pairs overlapping less than `iou_min` excluded.

    Args:
        track_boxes: (n, 4) predicted boxes of the live tracks, xyxy.
        det_boxes: (m, 4) boxes detected in the current frame, xyxy.
        iou_min: pairs overlapping less than this are never matched.

    Returns:
        (track_index, detection_index) pairs, sorted by track index.
    """
    scores = iou(track_boxes, det_boxes)
    if scores.size == 0:
        return []
    # Pairs below the gate cost as much as leaving both unmatched, so they never win.
    cost = np.where(scores >= iou_min, -scores, 0.0)
    rows, cols = linear_sum_assignment(cost)
    return [(int(t), int(d)) for t, d in zip(rows, cols, strict=True) if scores[t, d] >= iou_min]
