"""Persons: faces linked across frames into stable track ids by box overlap.

`iou` and `associate` are pure functions; `Tracker` holds the few live tracks of a clip and
has one verb, `update`, called once per analysed frame in time order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emohelpers.core.settings import TrackerSettings


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
    """Greedy one-to-one matching of tracks to detections by IoU, best pairs first.

    Args:
        track_boxes: (n, 4) last boxes of the live tracks.
        det_boxes: (m, 4) boxes detected in the current frame.
        iou_min: pairs overlapping less than this are never matched.

    Returns:
        (track_index, detection_index) pairs.
    """
    scores = iou(track_boxes, det_boxes)
    pairs: list[tuple[int, int]] = []
    if scores.size == 0:
        return pairs
    order = np.argsort(-scores, axis=None, kind="stable")
    used_t, used_d = set(), set()
    for flat in order:
        t, d = divmod(int(flat), scores.shape[1])
        if scores[t, d] < iou_min:
            break
        if t in used_t or d in used_d:
            continue
        pairs.append((t, d))
        used_t.add(t)
        used_d.add(d)
    return pairs


@dataclass
class _Track:
    person: int
    box: np.ndarray
    last_time_s: float


class Tracker:
    """Assigns person ids (1, 2, ... in order of first appearance) to faces over time.

    Args:
        settings: `iou_min`, the smallest box overlap that continues a track, and
            `max_gap_s`: a track survives this many seconds without a detection; a face that
            reappears in about the same place within the gap keeps its id.
    """

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self.iou_min = self.settings.iou_min
        self.max_gap_s = self.settings.max_gap_s
        self._tracks: list[_Track] = []
        self._next_id = 1

    def update(self, xyxy: np.ndarray, time_s: float) -> np.ndarray:
        """Person ids for the faces of one frame.

        Args:
            xyxy: (m, 4) face boxes of the frame.
            time_s: the frame's time, seconds (non-decreasing across calls).

        Returns:
            (m,) int64 person ids.
        """
        xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        self._tracks = [t for t in self._tracks if time_s - t.last_time_s <= self.max_gap_s]
        track_boxes = np.array([t.box for t in self._tracks]).reshape(-1, 4)
        ids = np.zeros(len(xyxy), dtype=np.int64)
        matched = set()
        for ti, di in associate(track_boxes, xyxy, self.iou_min):
            track = self._tracks[ti]
            track.box, track.last_time_s = xyxy[di], time_s
            ids[di] = track.person
            matched.add(di)
        for di in range(len(xyxy)):
            if di not in matched:
                self._tracks.append(_Track(self._next_id, xyxy[di], time_s))
                ids[di] = self._next_id
                self._next_id += 1
        return ids

    def info(self) -> dict:
        """Settings for the provenance."""
        return {"method": "greedy IoU", "iou_min": self.iou_min, "max_gap_s": self.max_gap_s}
