"""video -> frames -> faces -> persons -> expression probabilities -> the emotion table.

Frames stream from a decoder thread; faces are detected on batches of frames and classified
in batches of crops; nothing holds more than one batch of frames at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from emohelpers.analysis.classifiers import Classifier, load_classifier, resolve_model
from emohelpers.analysis.detect import FaceDetector, crop_faces
from emohelpers.analysis.provenance import Provenance, package_versions, utc_now
from emohelpers.analysis.table import EMOTIONS, Analysis, build_table
from emohelpers.analysis.tracking.persons import Persons
from emohelpers.analysis.video import DecodeStatus, Frame, frames_within, iter_frames, probe_video
from emohelpers.analysis.voice.channel import add_voice, voice_is_current
from emohelpers.core.assets import sha256_file
from emohelpers.core.background import in_background
from emohelpers.core.device import resolve_device
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.core.settings import AnalysisSettings

log = logging.getLogger(__name__)


#: Bytes of source frames in one detector batch (4K frames: 5 per batch, not 16).
BATCH_BYTES = 128 * 2**20


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while True:
        box = [list(islice(it, size))]
        if not box[0]:
            return
        yield box.pop()  # holds no reference while suspended: one batch alive, not two


_NO_PIXELS = np.zeros((0, 0, 3), np.uint8)
_COLUMNS = ("frame", "time_s", "shot", "face", "person", "xyxy", "det_prob", "probs")


def _chunk_rows(chunk: list, dets: list, people: list, probs: np.ndarray) -> dict:
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
            out["probs"].append(probs[at : at + n])
            at += n
        else:
            out["face"].append(np.array([np.nan]))
            out["person"].append(np.array([np.nan]))
            out["xyxy"].append(np.full((1, 4), np.nan))
            out["det_prob"].append(np.array([np.nan]))
            out["probs"].append(np.full((1, len(EMOTIONS)), np.nan))
    return {k: np.concatenate(v) for k, v in out.items()}


def resolve_settings(settings: AnalysisSettings | None = None, **overrides: Any,
                     ) -> AnalysisSettings:  # fmt: skip
    """`settings` (default: the defaults) with flat-name `overrides` applied, validated.

    Raises:
        ParameterError: for an unknown name or an invalid value.
    """
    if settings is not None and not isinstance(settings, AnalysisSettings):
        raise ParameterError(f"settings={settings!r}: expected AnalysisSettings or None")
    return (
        AnalysisSettings.from_flat(settings, **overrides)
        if overrides
        else (settings or AnalysisSettings())
    )


def cache_key(video: str | Path, settings: AnalysisSettings, video_sha256: str | None = None,
              ) -> dict[str, Any]:  # fmt: skip
    """What a saved analysis of `video` must match to be reused (see `AnalysisSettings`)."""
    sha = video_sha256 or sha256_file(probe_video(video).path)
    return settings.cache_key(sha, resolve_model(settings.model))


def analyze(
    video: str | Path,
    settings: AnalysisSettings | None = None,
    *,
    batch_frames: int = 16,
    batch_faces: int | None = None,
    classifier: Classifier | None = None,
    progress: bool = True,
    voice_classifier: Any = None,
    **overrides: Any,
) -> Analysis:
    """Analyse a video into the emotion table and its provenance.

    Args:
        video: the video file.
        settings: what decides the analysis (model, sampling, time range, device, detector,
            tracker); default `AnalysisSettings()`.
        batch_frames: frames per detector call.
        batch_faces: crops per classifier call (default: the classifier's own).
        classifier: an already loaded classifier (reused across clips in a batch); its name
            replaces `settings.model`.
        progress: show a tqdm bar.
        voice_classifier: an already loaded `VoiceClassifier` (reused across clips).
        **overrides: settings by flat name, applied on top of `settings`
            (`model="mini-xception"`, `every_n=10`, `min_face_px=80`, `max_gap_s=2`...).

    Returns:
        `Analysis(table, provenance, voice)`; frames without a face are rows with NaN face
        fields; `voice` is the voice table (None with `voice_enabled=False`), and the
        provenance's `voice` block says its status ("ok", "no audio", "broken audio", "off").

    Raises:
        VideoReadError, ModelLoadError, ParameterError: with the file and the fix.
    """
    settings = resolve_settings(settings, **overrides)
    if batch_frames < 1:
        raise ParameterError(f"batch_frames={batch_frames}: must be >= 1")
    info = probe_video(video)
    dev = resolve_device(settings.device)
    det = settings.detector
    clf = classifier or load_classifier(settings.model, dev, batch_size=batch_faces)
    if classifier is not None and batch_faces:
        clf.batch_size = int(batch_faces)
    face_detector = FaceDetector(det, device=dev, batch_size=batch_frames)
    persons = Persons(settings.tracker)
    every_n, fps = settings.every_n, settings.fps
    start_s, end_s = settings.start_s, settings.end_s

    span_s = (end_s if end_s is not None else info.duration_s) - (start_s or 0.0)
    expected = int(np.ceil(span_s * fps)) if fps else int(np.ceil(info.n_frames / every_n))
    # One array per column per batch of frames (not per frame): long clips stay small.
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _COLUMNS}
    t0 = time.perf_counter()
    n_frames = n_faces = 0
    bar = tqdm(total=expected or None, desc=f"analyse {info.path.name}", unit="frame",
               disable=not progress, leave=False)  # fmt: skip
    decoding = DecodeStatus()  # truncated files: how far the decoder got
    try:
        frames = iter_frames(info.path, every_n=every_n, fps=fps, start_s=start_s, end_s=end_s,
                             status=decoding, shots=persons.shots)  # fmt: skip

        per_batch = frames_within(BATCH_BYTES, info.width, info.height, batch_frames)

        def detected() -> Iterator[tuple[list, list, list, list]]:
            try:
                for chunk in _chunks(frames, per_batch):
                    dets = face_detector.detect([f.rgb for f in chunk])
                    crops = [c for f, d in zip(chunk, dets, strict=True)
                             for c in crop_faces(f.rgb, d.xyxy, det.margin)]  # fmt: skip
                    # Tracking (and re-ID's face chips) here, in this thread, in time order,
                    # overlapping the classifier; it needs the pixels too.
                    people = [persons.update(f.rgb, d.xyxy, d.det_prob, f.time_s, f.shot)
                              for f, d in zip(chunk, dets, strict=True)]  # fmt: skip
                    # Pixels are done with once crops and chips are cut: pass on times.
                    stamps = [Frame(f.index, f.time_s, _NO_PIXELS, f.shot) for f in chunk]
                    del chunk
                    yield stamps, dets, crops, people
            finally:
                frames.close()  # stops the decoder thread, also when stopped early

        for chunk, dets, crops, people in in_background(detected()):
            chunk_probs = clf.predict(crops) if crops else np.zeros((0, len(EMOTIONS)))
            for key, part in _chunk_rows(chunk, dets, people, chunk_probs).items():
                parts[key].append(part)
            n_frames += len(chunk)
            n_faces += len(crops)
            bar.update(len(chunk))
            bar.set_postfix(faces=n_faces)
    finally:
        bar.close()

    if not n_frames:
        raise SchemaError(
            f"{info.path}: no frame was analysed (sampling every_n={every_n}, fps={fps}, "
            f"start_s={start_s}, end_s={end_s}); widen the time range"
        )
    columns = {k: np.concatenate(v) for k, v in parts.items()}
    columns["person"] = persons.finish(columns["person"], columns["frame"])  # tracks -> persons
    elapsed = time.perf_counter() - t0
    table = build_table(**columns)
    # Renormalise float32 softmax rows exactly in float64 for the table's sum-to-1 contract.
    face_rows = table["face"].notna()
    p = table.loc[face_rows, list(EMOTIONS)].to_numpy()
    table.loc[face_rows, list(EMOTIONS)] = p / p.sum(axis=1, keepdims=True)

    n_persons = int(table["person"].nunique())
    provenance = Provenance(
        settings=settings,
        video={
            **info.as_dict(),
            "name": info.path.name,
            "sha256": sha256_file(info.path),
            **decoding.as_dict(),
        },  # fmt: skip
        classifier=clf.info(),
        detector=face_detector.info(),
        tracker=persons.info(),
        device=str(dev),
        packages=package_versions(),
        created_utc=utc_now(),
        # The run's own facts; the clip's key figures are `summaries.ClipSummary` of the table.
        summary={
            "frames_analysed": n_frames,
            "faces": n_faces,
            "persons": n_persons,
            "shots": persons.shots.shot + 1,
            "tracking_seconds": round(persons.seconds, 3),
            "shot_detection_seconds": round(persons.shots.seconds, 3),
            "seconds": round(elapsed, 3),
            "frames_per_s": round(n_frames / elapsed, 2) if elapsed > 0 else None,
        },
    )
    log.info("%s: %d frames, %d faces, %d persons, %.1f s",
             info.path.name, n_frames, n_faces, n_persons, elapsed)  # fmt: skip
    faces = Analysis(table=table, provenance=provenance)
    return add_voice(faces, info.path, settings, device=str(dev), classifier=voice_classifier)


def load_or_analyze(video: str | Path, out_dir: str | Path,
                    settings: AnalysisSettings | None = None,
                    **kwargs: Any) -> Analysis:  # fmt: skip
    """The analysis saved in `out_dir` if it was made from the same video and settings,
    otherwise a new analysis, saved there. The faces and the voice are reused separately:
    when only the voice settings changed, only the voice channel runs again.

    Args:
        video: the video file.
        out_dir: where `emotions.parquet` and `provenance.json` live.
        settings: what decides the analysis.
        **kwargs: further `analyze` arguments (flat-name overrides included).
    """
    flat = {k: kwargs.pop(k) for k in list(kwargs) if k in AnalysisSettings.flat_names()}
    settings = resolve_settings(settings, **flat)
    wanted = cache_key(video, settings)
    out = Path(out_dir)
    try:
        saved = Analysis.load(out)
        if saved.provenance.cache_key() == wanted:
            if voice_is_current(saved, settings):
                log.info("%s: reusing the saved analysis in %s", Path(video).name, out)
                return saved
            log.info("%s: reusing the saved faces in %s; voice anew", Path(video).name, out)
            result = add_voice(saved, video, settings,
                               classifier=kwargs.get("voice_classifier"))  # fmt: skip
            result.save(out)
            return result
    except SchemaError:
        pass
    result = analyze(video, settings, **kwargs)
    result.save(out)
    return result
