"""Tracks: faces linked across analysed frames by motion-predicted box overlap.

Why our own tracker rather than ByteTrack (`supervision`, `trackers`): ByteTrack's lost-track
buffer and Kalman noise count frames at one fixed frame rate, while our frames are sampled on
time (every n-th frame, or one per 1/fps seconds, on variable-rate video) and the table's
contract is in seconds; it also has no notion of a shot cut. The ideas are ByteTrack's (a
constant-velocity Kalman filter per track, Hungarian assignment on IoU, a lost-track buffer)
with time in seconds, a buffer scaled to the sampling interval, and tracks ended at cuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emohelpers.analysis.tracking import kalman
from emohelpers.analysis.tracking.match import associate
from emohelpers.core.settings import TrackerSettings


@dataclass
class _Track:
    track_id: int
    mean: np.ndarray  # (8,) Kalman state at `last_time_s`
    cov: np.ndarray  # (8, 8)
    last_time_s: float


class Tracker:
    """Assigns track ids (1, 2, ... in order of first appearance) to faces over time.

    A track continues when its motion-predicted box overlaps a face by at least
    `settings.iou_min` (optimal assignment over all pairs); it survives
    max(`max_gap_s`, `max_gap_frames` sampling intervals) without a face, and ends at a cut
    (a new `shot`). Joining tracks of one face after a cut or a long absence is
    re-identification's job (`reid.merge_tracks`), not overlap's.

    Args:
        settings: tracking settings (defaults when None).
    """

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._shot: int | None = None
        self._last_time_s: float | None = None
        self._interval_s = 0.0

    def max_gap(self) -> float:
        """Seconds a track survives without a face at the sampling interval seen so far."""
        s = self.settings
        return max(s.max_gap_s, s.max_gap_frames * self._interval_s)

    def update(self, xyxy: np.ndarray, time_s: float, shot: int = 0) -> np.ndarray:
        """Track ids for the faces of one analysed frame.

        Args:
            xyxy: (m, 4) face boxes of the frame, source pixels.
            time_s: the frame's time, seconds (non-decreasing across calls).
            shot: the frame's shot index; a change ends every live track.

        Returns:
            (m,) int64 track ids.
        """
        xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        if self._last_time_s is not None and time_s > self._last_time_s:
            self._interval_s = time_s - self._last_time_s
        self._last_time_s = time_s
        if shot != self._shot:
            self._tracks, self._shot = [], shot
        # Relative slack: sampled times are rationals rounded to floats.
        gap = self.max_gap() * (1 + 1e-6) + 1e-9
        self._tracks = [t for t in self._tracks if time_s - t.last_time_s <= gap]
        predicted = [kalman.predict(t.mean, t.cov, time_s - t.last_time_s) for t in self._tracks]
        boxes = np.array([kalman.state_to_xyxy(m) for m, _ in predicted]).reshape(-1, 4)
        ids = np.zeros(len(xyxy), dtype=np.int64)
        matched: set[int] = set()
        for ti, di in associate(boxes, xyxy, self.settings.iou_min):
            track = self._tracks[ti]
            track.mean, track.cov = kalman.update(*predicted[ti], xyxy[di])
            track.last_time_s = time_s
            ids[di] = track.track_id
            matched.add(di)
        for di in range(len(xyxy)):
            if di not in matched:
                mean, cov = kalman.initiate(xyxy[di])
                self._tracks.append(_Track(self._next_id, mean, cov, time_s))
                ids[di] = self._next_id
                self._next_id += 1
        return ids

    def info(self) -> dict:
        """Method and settings, for the provenance."""
        return {
            "method": "Kalman (constant velocity, seconds) + Hungarian IoU; tracks end at cuts",
            **self.settings.as_dict(),
        }
