"""The analysis as an object built once: `Analyzer(settings)(video) -> Analysis`.

In the manner of a transformers pipeline or py-feat's `Detector`: the expensive parts (the
face detector, the expression classifier, dlib's face descriptor for re-identification,
the voice-activity detector and the voice model) are built once, from the settings, and
reused by every call; what belongs to one clip (its `VideoSource`, the tracker and the shot
detector in `Persons`) is made fresh per call. `__call__` names its stages:

    source (analysis/source.py) -> faces (face_stage.py: MTCNN, tracking, classifier)
    -> persons (tracking/persons.py: re-identification) -> the table and its provenance
    -> names (naming.py: the cast's, matched on the person table's face descriptors)
    -> voice (voice/channel.py: VAD, voice model, the voice table)

`shared_classifier` keeps one classifier per (model, device) in the process, so that the
report's explain section and the explorer use the one the analysis already loaded.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch

from emohelpers.analysis.classifiers import Classifier, load_classifier, resolve_model
from emohelpers.analysis.detect import FaceDetector
from emohelpers.analysis.face_stage import FacePass, run_faces
from emohelpers.analysis.naming import name_analysis
from emohelpers.analysis.person_table import build_person_table
from emohelpers.analysis.provenance import CLOCK, Provenance, package_versions, utc_now
from emohelpers.analysis.shared import shared_source
from emohelpers.analysis.source import VideoSource
from emohelpers.analysis.table import EMOTIONS, Analysis, build_table
from emohelpers.analysis.tracking.cast import Cast, enrol_cast
from emohelpers.analysis.tracking.persons import Persons, check_face_id_models
from emohelpers.analysis.tracking.reid import FaceEmbedder
from emohelpers.analysis.video_check import video_sha256
from emohelpers.analysis.voice.channel import add_voice
from emohelpers.analysis.voice.classifiers import load_voice_classifier
from emohelpers.analysis.voice.vad import SpeechDetector
from emohelpers.core.device import resolve_device
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.core.settings import AnalysisSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

_CLASSIFIERS: dict[tuple[str, str], Classifier] = {}
_CLASSIFIERS_LOCK = threading.Lock()


def shared_classifier(model: str | Path, device: str | torch.device = "auto") -> Classifier:
    """The expression classifier of (model, device) in this process, loaded on first use.

    Raises:
        ModelLoadError, ParameterError: see `load_classifier`.
    """
    key = (resolve_model(model), str(resolve_device(device)))
    with _CLASSIFIERS_LOCK:
        if key not in _CLASSIFIERS:
            _CLASSIFIERS[key] = load_classifier(key[0], key[1])
        return _CLASSIFIERS[key]


def resolve_settings(
    settings: AnalysisSettings | None = None, **overrides: Any
) -> AnalysisSettings:
    """`settings` (default: the defaults) with flat-name `overrides` applied, validated.

    Raises:
        ParameterError: for an unknown name or an invalid value.
    """
    if settings is not None and not isinstance(settings, AnalysisSettings):
        raise ParameterError(f"settings={settings!r}: expected AnalysisSettings or None")
    if overrides:
        return AnalysisSettings.from_flat(settings, **overrides)
    return settings or AnalysisSettings()


class Analyzer:
    """Analyse videos into the emotion table, its provenance and the voice table.

    Args:
        settings: what decides the analysis (default `AnalysisSettings()`).
        classifier: an already loaded expression classifier; its name replaces
            `settings.model` (default: the process's `shared_classifier`).
        face_detector: an already built face detector (e.g. facenet-pytorch's own stages,
            the reference); default: built from `settings.detector` (`detector=` is the
            detector's settings, as everywhere).
        voice_classifier: an already loaded `VoiceClassifier` (default: built here).
        batch_frames: frames per detector call.
        batch_faces: crops per classifier call (default: the classifier's own).
        progress: show a tqdm bar per clip.
        **overrides: settings by flat name, applied on top of `settings`.

    Attributes:
        settings: the resolved settings.
        device: the torch device every model runs on.
        detector, classifier: the face detector and the expression classifier.
        builds: model name -> how many times this analyzer built it (the shared classifier:
            fetched it), each at most once however many clips it analyses.

    Raises:
        ModelLoadError, ParameterError: a model cannot be loaded, or invalid settings.

    Example:
        >>> analyzer = Analyzer(model="mini-xception", every_n=6)
        >>> first, second = analyzer("a.mp4"), analyzer("b.mp4")  # models built once
    """

    def __init__(
        self,
        settings: AnalysisSettings | None = None,
        *,
        classifier: Classifier | None = None,
        face_detector: FaceDetector | None = None,
        voice_classifier: Any = None,
        batch_frames: int = 16,
        batch_faces: int | None = None,
        progress: bool = True,
        **overrides: Any,
    ) -> None:
        self.settings = settings = resolve_settings(settings, **overrides)
        if batch_frames < 1:
            raise ParameterError(f"batch_frames={batch_frames}: must be >= 1")
        self.batch_frames, self.progress = int(batch_frames), progress
        self.device = resolve_device(settings.device)
        self.builds: Counter[str] = Counter()
        if classifier is not None:
            self.classifier = classifier
            if batch_faces:
                classifier.batch_size = int(batch_faces)
        elif batch_faces:  # a batch size of its own: not the process's shared classifier
            self.classifier = self._build(
                "classifier", lambda: load_classifier(settings.model, self.device, batch_faces)
            )
        else:
            self.classifier = self._build(
                "classifier", lambda: shared_classifier(settings.model, self.device)
            )
        self.detector = face_detector or self._build(
            "detector", lambda: FaceDetector(settings.detector, self.device, self.batch_frames)
        )
        self._embedder: FaceEmbedder | None = None
        if settings.tracker.reid:
            check_face_id_models()  # fail now, not after the first clip was analysed
        self.cast: Cast | None = None
        if settings.tracker.cast is not None:  # a bad cast fails before any clip
            self.cast = enrol_cast(settings.tracker.cast, self.detector, self._face_embedder())
        self.vad: Any = None
        self.voice_classifier = voice_classifier
        if settings.voice.enabled:
            self.vad = self._build("vad", self._load_vad)
            if voice_classifier is None:
                self.voice_classifier = self._build("voice_classifier", self._load_voice)

    def _build(self, name: str, make: Callable[[], T]) -> T:
        self.builds[name] += 1
        return make()

    def _load_vad(self) -> Any:
        return SpeechDetector(device=self.device)

    def _load_voice(self) -> Any:
        voice = self.settings.voice
        return load_voice_classifier(voice.model, self.device, voice.batch_size)

    def _face_embedder(self) -> FaceEmbedder:
        """dlib's face descriptor, built the first time a clip needs it."""
        if self._embedder is None:
            self._embedder = self._build("face_embedder", FaceEmbedder)
        return self._embedder

    def __call__(
        self, video: str | Path | VideoSource, *, progress: bool | None = None
    ) -> Analysis:
        """Analyse one video (see `pipeline.analyze` for what the result holds).

        Raises:
            VideoReadError, SchemaError: an unreadable video, or no frame analysed.
        """
        source = video if isinstance(video, VideoSource) else shared_source(video)
        persons = Persons(self.settings.tracker, make_embedder=self._face_embedder)
        faces = run_faces(
            source,
            self.settings,
            self.detector,
            self.classifier,
            persons,
            batch_frames=self.batch_frames,
            progress=self.progress if progress is None else progress,
        )
        table = self._table(source, faces, persons)
        person_table = None
        if self.settings.tracker.reid:
            person_table = build_person_table(
                table["person"], table["frame"], persons.descriptors, persons.tracks_of()
            )
        analysis = Analysis(
            table=table,
            provenance=self._provenance(source, faces, persons, table),
            persons=person_table,
        )
        analysis = self.name(analysis)
        return add_voice(
            analysis,
            source,
            self.settings,
            device=str(self.device),
            classifier=self.voice_classifier,
            detector=self.vad,
        )

    def name(self, analysis: Analysis) -> Analysis:
        """`analysis` with its persons named from this analyzer's cast (see `naming`)."""
        return name_analysis(analysis, self.cast, self.settings.tracker.cast_max_distance)

    def _table(self, source: VideoSource, faces: FacePass, persons: Persons):
        s = self.settings
        if not faces.frames:
            raise SchemaError(
                f"{source.path}: no frame was analysed (sampling every_n={s.every_n}, "
                f"fps={s.fps}, start_s={s.start_s}, end_s={s.end_s}); widen the time range"
            )
        columns = dict(faces.columns)
        columns["person"] = persons.finish(columns["person"], columns["frame"])  # -> persons
        table = build_table(**columns)
        # Renormalise float32 softmax rows exactly in float64 for the sum-to-1 contract.
        face_rows = table["face"].notna()
        p = table.loc[face_rows, list(EMOTIONS)].to_numpy()
        table.loc[face_rows, list(EMOTIONS)] = p / p.sum(axis=1, keepdims=True)
        return table

    def _provenance(
        self, source: VideoSource, faces: FacePass, persons: Persons, table
    ) -> Provenance:
        info, elapsed = source.info, faces.seconds
        n_persons = int(table["person"].nunique())
        log.info(
            "%s: %d frames, %d faces, %d persons, %.1f s",
            info.path.name,
            faces.frames,
            faces.faces,
            n_persons,
            elapsed,
        )
        return Provenance(
            settings=self.settings,
            video={
                **info.as_dict(),
                "name": info.path.name,
                "sha256": video_sha256(info.path),
                "clock": CLOCK,
                **faces.decoding.as_dict(),
            },
            classifier=self.classifier.info(),
            detector=self.detector.info(),
            tracker=persons.info(),
            device=str(self.device),
            packages=package_versions(),
            created_utc=utc_now(),
            # The run's own facts; the clip's key figures are `summaries.ClipSummary` of the table.
            summary={
                "frames_analysed": faces.frames,
                "faces": faces.faces,
                "persons": n_persons,
                "shots": persons.shots.shot + 1,
                "tracking_seconds": round(persons.seconds, 3),
                "shot_detection_seconds": round(persons.shots.seconds, 3),
                "seconds": round(elapsed, 3),
                "frames_per_s": round(faces.frames / elapsed, 2) if elapsed > 0 else None,
            },
        )
