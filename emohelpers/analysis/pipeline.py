"""video -> frames -> faces -> persons -> expression probabilities -> the emotion table.

`analyze` is the one-call way in: a thin wrapper building an `analyzer.Analyzer` (whose
stages are `face_stage`, `tracking.persons` and `voice.channel`) and calling it once;
`load_or_analyze` reuses a saved analysis with the same cache key, the faces and the voice
each by their own key. Several clips: build one `Analyzer` and call it on each.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from emohelpers.analysis.analyzer import Analyzer, resolve_settings
from emohelpers.analysis.classifiers import Classifier, resolve_model
from emohelpers.analysis.naming import load_cast, name_analysis, names_are_current
from emohelpers.analysis.table import Analysis
from emohelpers.analysis.video import probe_video
from emohelpers.analysis.video_check import video_sha256 as file_sha256
from emohelpers.analysis.voice.channel import add_voice, voice_is_current
from emohelpers.core.errors import SchemaError
from emohelpers.core.settings import AnalysisSettings

__all__ = ["Analyzer", "analyze", "cache_key", "load_or_analyze", "resolve_settings"]

log = logging.getLogger(__name__)


def cache_key(
    video: str | Path,
    settings: AnalysisSettings,
    video_sha256: str | None = None,
) -> dict[str, Any]:
    """What a saved analysis of `video` must match to be reused (see `AnalysisSettings`)."""
    sha = video_sha256 or file_sha256(probe_video(video).path)
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
    probe_video(video)  # an unreadable video fails before any model is loaded
    analyzer = Analyzer(
        settings,
        classifier=classifier,
        voice_classifier=voice_classifier,
        batch_frames=batch_frames,
        batch_faces=batch_faces,
        progress=progress,
        **overrides,
    )
    return analyzer(video)


def load_or_analyze(
    video: str | Path, out_dir: str | Path, settings: AnalysisSettings | None = None, **kwargs: Any
) -> Analysis:
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
        reusable = saved.provenance.cache_key() == wanted and saved.provenance.reusable
        if reusable and settings.tracker.cast is not None and saved.persons is None:
            reusable = False  # saved before person tables: nothing to match a cast on
        if reusable and not names_are_current(saved, settings):
            log.info("%s: reusing the saved faces in %s; names anew", Path(video).name, out)
            cast = load_cast(settings)
            saved = name_analysis(saved, cast, settings.tracker.cast_max_distance)
            saved.save(out)
        if reusable:
            if voice_is_current(saved, settings):
                log.info("%s: reusing the saved analysis in %s", Path(video).name, out)
                return saved
            log.info("%s: reusing the saved faces in %s; voice anew", Path(video).name, out)
            result = add_voice(saved, video, settings, classifier=kwargs.get("voice_classifier"))
            result.save(out)
            return result
    except SchemaError:
        pass
    result = analyze(video, settings, **kwargs)
    result.save(out)
    return result
