"""Re-identification: tracks of the same face merged into one person by face appearance.

Each track keeps its few best faces (most confident x largest) as small crops while the
video streams; at the end every kept face gets dlib's 128-d face descriptor (ResNet, 99.38%
on LFW; its weights ship in the `face-recognition-models` sdist on PyPI, fetched into the
asset cache), each track the mean of its faces', and tracks are merged by average-linkage
clustering under a distance threshold, never two tracks seen in one frame. Persons are
numbered 1, 2, ... by first appearance.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass, field
from itertools import count

import numpy as np

from emohelpers.core.assets import face_id_models
from emohelpers.core.errors import AssetError, ModelLoadError

log = logging.getLogger(__name__)

#: Crops are kept with this margin around the box (fraction of its side), and scaled down
#: so the face is at most `_FACE_PX` pixels: dlib aligns faces to 150x150 chips anyway.
_MARGIN = 0.35
_FACE_PX = 160


@dataclass
class TrackGallery:
    """The best few faces of each track, kept as small RGB crops while the video streams.

    Attributes:
        per_track: faces kept per track.
        every_s: a track's faces are considered at most this often, seconds: bounds the
            cost on densely sampled video and spreads the kept faces over time (poses).
    """

    per_track: int = 3
    every_s: float = 0.5
    _faces: dict[int, list] = field(default_factory=dict, repr=False)
    _offered_s: dict[int, float] = field(default_factory=dict, repr=False)
    _tie: count = field(default_factory=count, repr=False)

    def add(
        self,
        rgb: np.ndarray,
        xyxy: np.ndarray,
        det_prob: np.ndarray,
        track_ids: np.ndarray,
        time_s: float,
    ) -> None:
        """Offer the faces of one frame.

        Args:
            rgb: (h, w, 3) uint8 frame.
            xyxy: (m, 4) face boxes, pixels.
            det_prob: (m,) detector confidences.
            track_ids: (m,) track ids.
            time_s: the frame's time, seconds.
        """
        for box, prob, tid in zip(
            np.asarray(xyxy).reshape(-1, 4), det_prob, track_ids, strict=True
        ):
            tid = int(tid)
            if time_s - self._offered_s.get(tid, -np.inf) < self.every_s:
                continue
            self._offered_s[tid] = time_s
            side = float(min(box[2] - box[0], box[3] - box[1]))
            quality = float(prob) * side
            heap = self._faces.setdefault(tid, [])
            if len(heap) >= self.per_track and quality <= heap[0][0]:
                continue
            item = (quality, next(self._tie), *_crop(rgb, box))
            if len(heap) < self.per_track:
                heapq.heappush(heap, item)
            else:
                heapq.heapreplace(heap, item)

    def faces(self) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
        """Track id -> its kept faces as (crop (h, w, 3) uint8, box (4,) in crop pixels)."""
        return {
            t: [(c, b) for _, _, c, b in sorted(h, reverse=True)] for t, h in self._faces.items()
        }


def face_crop(rgb: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A face as the gallery keeps it: (crop (h, w, 3) uint8, box (4,) in crop pixels)."""
    return _crop(rgb, box)


def _crop(rgb: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A face with a margin, scaled so that the face is at most `_FACE_PX`; box in the crop."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    m = _MARGIN * max(x2 - x1, y2 - y1)
    cx1, cy1 = int(max(0, x1 - m)), int(max(0, y1 - m))
    cx2, cy2 = int(min(w, x2 + m)), int(min(h, y2 + m))
    crop = rgb[cy1:cy2, cx1:cx2]
    local = np.array([x1 - cx1, y1 - cy1, x2 - cx1, y2 - cy1])
    # An integer stride, not a resampling filter: 20x cheaper, and dlib resamples the face
    # onto its aligned 150x150 chip anyway.
    step = int(max(x2 - x1, y2 - y1) // _FACE_PX)
    if step > 1:
        crop = crop[::step, ::step]
        local = local / step
    return np.ascontiguousarray(crop), local


class FaceEmbedder:
    """dlib's face descriptor: aligned 150x150 chips -> (n, 128) float64 descriptors.

    Raises:
        ModelLoadError: when dlib or its models cannot be loaded, with the fix.
    """

    name = "dlib_face_recognition_resnet_model_v1"

    def __init__(self) -> None:
        try:
            import dlib  # dlib and its models only when re-identification is on
        except ImportError as exc:
            raise ModelLoadError(
                "re-identification needs dlib: pip install dlib-bin==20.0.1.post1, or turn "
                "re-identification off (TrackerSettings(reid=False), --no-reid)"
            ) from exc
        try:
            rec_path, landmarks_path = face_id_models()
        except AssetError as exc:
            raise ModelLoadError(f"re-identification models unavailable: {exc}") from exc
        self._dlib = dlib
        self._landmarks = dlib.shape_predictor(str(landmarks_path))
        self._rec = dlib.face_recognition_model_v1(str(rec_path))

    def embed(self, crops: list[np.ndarray], boxes: np.ndarray) -> np.ndarray:
        """Face descriptors of faces in images.

        Args:
            crops: n images (h, w, 3) uint8 RGB.
            boxes: (n, 4) face boxes xyxy in those images.

        Returns:
            (n, 128) float64 descriptors; faces of one person lie within ~0.5 of each other.
        """
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if not crops:
            return np.zeros((0, 128))
        dlib = self._dlib
        shapes = []
        for img, (x1, y1, x2, y2) in zip(crops, boxes, strict=True):
            rect = dlib.rectangle(int(x1), int(y1), int(x2), int(y2))
            found = dlib.full_object_detections()
            found.append(self._landmarks(img, rect))
            shapes.append(found)
        out = self._rec.compute_face_descriptor(list(crops), shapes)
        return np.array([np.asarray(d[0]) for d in out], dtype=np.float64)


def track_embeddings(
    gallery: TrackGallery, embedder: FaceEmbedder, tracks: set[int] | None = None
) -> dict[int, np.ndarray]:
    """Track id -> mean (128,) descriptor of its kept faces (one batched embedder call).

    Args:
        gallery: the faces kept while the video streamed.
        embedder: the face embedder.
        tracks: only these tracks (default all).
    """
    faces = {t: f for t, f in gallery.faces().items() if tracks is None or t in tracks}
    keys = [(t, i) for t, fs in faces.items() for i in range(len(fs))]
    if not keys:
        return {}
    crops = [faces[t][i][0] for t, i in keys]
    boxes = np.array([faces[t][i][1] for t, i in keys])
    desc = embedder.embed(crops, boxes)
    out: dict[int, list[np.ndarray]] = {}
    for (t, _), d in zip(keys, desc, strict=True):
        out.setdefault(t, []).append(d)
    return {t: np.mean(ds, axis=0) for t, ds in out.items()}


def mergeable_tracks(track: np.ndarray, frame: np.ndarray) -> set[int]:
    """Tracks that some other track never shares a frame with: the only ones that could
    merge (a clip of one track, or of people always seen together, needs no descriptor).

    Args:
        track: (n,) track id per table row, NaN for rows without a face.
        frame: (n,) frame index per row.
    """
    track = np.asarray(track, dtype=np.float64)
    rows = ~np.isnan(track)
    frames_of: dict[int, set] = {}
    for t, f in zip(
        track[rows].astype(np.int64).tolist(), np.asarray(frame)[rows].tolist(), strict=True
    ):
        frames_of.setdefault(t, set()).add(f)
    ids = list(frames_of)
    return {a for a in ids if any(b != a and not frames_of[a] & frames_of[b] for b in ids)}


def merge_tracks(
    track: np.ndarray,
    frame: np.ndarray,
    embeddings: dict[int, np.ndarray],
    max_distance: float,
) -> dict[int, int]:
    """Person id of each track: tracks of one face merged, numbered by first appearance.

    Average-linkage agglomerative clustering: the two clusters whose tracks' descriptors
    are closest on average merge first, while that distance is below `max_distance` and no
    frame holds a track of each (one person is never two faces of a frame).

    Args:
        track: (n,) track id of each table row, NaN for rows without a face.
        frame: (n,) frame index of each row.
        embeddings: track id -> (d,) descriptor; tracks without one stay on their own.
        max_distance: largest average Euclidean descriptor distance that merges.

    Returns:
        track id -> person id (1, 2, ... in order of first appearance).
    """
    track = np.asarray(track, dtype=np.float64)
    frame = np.asarray(frame)
    rows = ~np.isnan(track)
    order: list[int] = list(dict.fromkeys(int(t) for t in track[rows]))  # first appearance
    frames_of = {t: set(frame[rows][track[rows] == t].tolist()) for t in order}
    clusters: list[list[int]] = [[t] for t in order]
    cluster_frames = [set(frames_of[t]) for t in order]
    emb = {t: np.asarray(e, dtype=np.float64) for t, e in embeddings.items() if t in frames_of}
    ids = [t for t in order if t in emb]
    idx = {t: i for i, t in enumerate(ids)}
    if ids:
        x = np.stack([emb[t] for t in ids])
        dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    while True:
        best = None
        for a in range(len(clusters)):
            ea = [idx[t] for t in clusters[a] if t in idx]
            if not ea:
                continue
            for b in range(a + 1, len(clusters)):
                eb = [idx[t] for t in clusters[b] if t in idx]
                if not eb or cluster_frames[a] & cluster_frames[b]:
                    continue
                d = float(dist[np.ix_(ea, eb)].mean())
                if d < max_distance and (best is None or d < best[0]):
                    best = (d, a, b)
        if best is None:
            break
        _, a, b = best
        clusters[a] += clusters.pop(b)
        cluster_frames[a] |= cluster_frames.pop(b)
    first = {t: i for i, t in enumerate(order)}
    clusters.sort(key=lambda c: min(first[t] for t in c))
    return {t: p for p, c in enumerate(clusters, start=1) for t in c}
