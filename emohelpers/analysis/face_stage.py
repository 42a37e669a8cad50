"""The faces of one clip: frames -> faces -> tracks -> expression probabilities, as columns.

Frames stream from a decoder thread; faces are detected on batches of frames and classified
in batches of crops, tracking (and re-identification's face chips) running beside the
classifier; nothing holds more than one batch of frames at a time. The models come built
(`analyzer.Analyzer` holds them); the per-clip state (the tracker, the shot detector)
comes in `persons`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
from tqdm.auto import tqdm

from emohelpers.analysis.classifiers import Classifier
from emohelpers.analysis.detect import FaceDetector, crop_faces
from emohelpers.analysis.quality import face_quality
from emohelpers.analysis.source import VideoSource
from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.tracking.persons import Persons
from emohelpers.analysis.video import DecodeStatus, Frame, frames_within, iter_frames
from emohelpers.core.background import in_background
from emohelpers.core.settings import AnalysisSettings

#: Bytes of source frames in one detector batch (4K frames: 5 per batch, not 16).
BATCH_BYTES = 128 * 2**20

_NO_PIXELS = np.zeros((0, 0, 3), np.uint8)
_COLUMNS = (
    "frame",
    "time_s",
    "shot",
    "face",
    "person",
    "xyxy",
    "det_prob",
    "quality",
    "probs",
)


@dataclass
class FacePass:
    """What one pass over a clip's frames found.

    Attributes:
        columns: the emotion table's columns, one row per face or one NaN row per frame
            (`person` still holds track ids: `Persons.finish` makes them persons).
        frames: frames analysed.
        faces: faces classified.
        seconds: wall time of the pass.
        decoding: how far the decoder got (truncated files).
    """

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    frames: int = 0
    faces: int = 0
    seconds: float = 0.0
    decoding: DecodeStatus = field(default_factory=DecodeStatus)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while True:
        box = [list(islice(it, size))]
        if not box[0]:
            return
        yield box.pop()  # holds no reference while suspended: one batch alive, not two


def _chunk_rows(
    chunk: list, dets: list, people: list, quality: np.ndarray, probs: np.ndarray
) -> dict:
    """The table's columns for a batch of frames: one row per face, or one NaN row."""
    out: dict[str, list[np.ndarray]] = {k: [] for k in _COLUMNS}
    at = 0
    for f, d, persons in zip(chunk, dets, people, strict=True):
        n = len(d)
        rows = max(n, 1)
        out["frame"].append(np.full(rows, f.index))
        out["time_s"].append(np.full(rows, f.time_s))
        out["shot"].append(np.full(rows, f.shot, dtype=np.int64))
        if n:
            out["face"].append(np.arange(n, dtype=np.float64))
            out["person"].append(persons.astype(np.float64))
            out["xyxy"].append(d.xyxy)
            out["det_prob"].append(d.det_prob)
            out["quality"].append(quality[at : at + n])
            out["probs"].append(probs[at : at + n])
            at += n
        else:
            out["face"].append(np.array([np.nan]))
            out["person"].append(np.array([np.nan]))
            out["xyxy"].append(np.full((1, 4), np.nan))
            out["det_prob"].append(np.array([np.nan]))
            out["quality"].append(np.array([np.nan]))
            out["probs"].append(np.full((1, len(EMOTIONS)), np.nan))
    return {k: np.concatenate(v) for k, v in out.items()}


def _quality(dets: list, per_frame: list[list[np.ndarray]]) -> np.ndarray:
    """(faces,) `quality` of a batch's faces, in the order of their crops."""
    parts = [
        face_quality(d.xyxy, d.det_prob, crops, d.landmarks)[0]
        for d, crops in zip(dets, per_frame, strict=True)
        if len(crops)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def run_faces(
    source: VideoSource,
    settings: AnalysisSettings,
    detector: FaceDetector,
    classifier: Classifier,
    persons: Persons,
    *,
    batch_frames: int = 16,
    progress: bool = True,
) -> FacePass:
    """Detect, track and classify the faces of the sampled frames of `source`.

    Args:
        source: the clip.
        settings: sampling, time range and the detector's crop margin.
        detector: the face detector.
        classifier: the expression classifier.
        persons: this clip's tracker, shot detector and re-identification gallery.
        batch_frames: frames per detector call (fewer for large frames).
        progress: show a tqdm bar.

    Returns:
        A `FacePass`; `columns` is empty when no frame was analysed.
    """
    info = source.info
    every_n, fps, start_s, end_s = settings.every_n, settings.fps, settings.start_s, settings.end_s
    span_s = (end_s if end_s is not None else info.start_s + info.duration_s) - (start_s or 0.0)
    expected = int(np.ceil(span_s * fps)) if fps else int(np.ceil(info.n_frames / (every_n or 1)))
    margin = settings.detector.margin
    # One array per column per batch of frames (not per frame): long clips stay small.
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _COLUMNS}
    result = FacePass()
    t0 = time.perf_counter()
    bar = tqdm(
        total=max(expected, 0) or None,
        desc=f"analyse {info.path.name}",
        unit="frame",
        disable=not progress,
        leave=False,
    )
    try:
        frames = iter_frames(
            source,
            every_n=every_n,
            fps=fps,
            start_s=start_s,
            end_s=end_s,
            status=result.decoding,
            shots=persons.shots,
        )
        per_batch = frames_within(BATCH_BYTES, info.width, info.height, batch_frames)

        def detected() -> Iterator[tuple[list, list, list, np.ndarray, list]]:
            try:
                for chunk in _chunks(frames, per_batch):
                    dets = detector.detect([f.rgb for f in chunk])
                    per_frame = [
                        crop_faces(f.rgb, d.xyxy, margin) for f, d in zip(chunk, dets, strict=True)
                    ]
                    crops = [c for cs in per_frame for c in cs]
                    quality = _quality(dets, per_frame)
                    # Tracking (and re-ID's face chips) here, in this thread, in time order,
                    # overlapping the classifier; it needs the pixels too.
                    people = [
                        persons.update(f.rgb, d.xyxy, d.det_prob, f.time_s, f.shot)
                        for f, d in zip(chunk, dets, strict=True)
                    ]
                    # Pixels are done with once crops and chips are cut: pass on times.
                    stamps = [Frame(f.index, f.time_s, _NO_PIXELS, f.shot) for f in chunk]
                    del chunk
                    yield stamps, dets, crops, quality, people
            finally:
                frames.close()  # stops the decoder thread, also when stopped early

        for chunk, dets, crops, quality, people in in_background(detected()):
            probs = classifier.predict(crops) if crops else np.zeros((0, len(EMOTIONS)))
            for key, part in _chunk_rows(chunk, dets, people, quality, probs).items():
                parts[key].append(part)
            result.frames += len(chunk)
            result.faces += len(crops)
            bar.update(len(chunk))
            bar.set_postfix(faces=result.faces)
    finally:
        bar.close()
    result.seconds = time.perf_counter() - t0
    if result.frames:
        result.columns = {k: np.concatenate(v) for k, v in parts.items()}
    return result
