"""The voice channel as a step of an analysis: the voice table and the provenance's `voice`
block added to the faces' `Analysis` (`analysis.pipeline.analyze`, `load_or_analyze`).

The voice block holds the status ("ok", "no audio", "broken audio", or "off" with
`--no-voice`), the voice settings, the windows, the timing and the voice table's own cache
key (`AnalysisSettings.voice_cache_key`), so that a saved face table is reused when only the
voice settings change, and the other way round.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from emohelpers.analysis.source import VideoSource
from emohelpers.analysis.table import Analysis
from emohelpers.analysis.voice.analyze import analyze_voice
from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.core.settings import AnalysisSettings

log = logging.getLogger(__name__)


def voice_is_current(saved: Analysis, settings: AnalysisSettings) -> bool:
    """Whether the voice part of `saved` is what `settings` ask for (nothing to re-run)."""
    block = saved.provenance.voice
    if not settings.voice.enabled:
        return block.get("status") == VoiceStatus.OFF and saved.voice is None
    sha = saved.provenance.video_sha256 or ""
    return saved.voice is not None and block.get("key") == settings.voice_cache_key(sha)


def add_voice(
    analysis: Analysis,
    video: str | Path | VideoSource,
    settings: AnalysisSettings,
    device: str | None = None,
    classifier: Any = None,
    detector: Any = None,
) -> Analysis:
    """`analysis` with the voice table of `video` (None when `settings.voice` is off) and
    the provenance's voice block; the faces are untouched.

    Args:
        analysis: the faces' analysis of `video` (its provenance names the video's sha256).
        video: the clip, or its open `VideoSource`.
        settings: the analysis settings; their voice part and time range decide the voice.
        device: "cpu", "cuda:0", ... (default: `settings.device`).
        classifier: an already loaded `VoiceClassifier` (reused across clips).
        detector: an already loaded `vad.SpeechDetector` (reused across clips).

    Returns:
        A new `Analysis`; its provenance's settings carry `settings.voice`.

    Raises:
        ModelLoadError: the voice model or the voice-activity detector cannot be loaded.
    """
    voice = settings.voice
    prov = replace(analysis.provenance, settings=replace(analysis.provenance.settings, voice=voice))
    if not voice.enabled:
        block = {
            "status": VoiceStatus.OFF,
            "message": "voice channel off (--no-voice)",
            "settings": voice.as_dict(),
        }
        return replace(
            analysis, voice=None, transcript=None, provenance=prov.with_extra(voice=block)
        )
    result = analyze_voice(
        video,
        voice,
        device=device or settings.device,
        start_s=settings.start_s,
        end_s=settings.end_s,
        classifier=classifier,
        detector=detector,
    )
    table, block = result
    block["key"] = settings.voice_cache_key(prov.video_sha256 or "")
    name = video.path.name if isinstance(video, VideoSource) else Path(video).name
    log.info("%s: voice %s, %s", name, block["status"], block.get("message", ""))
    return replace(
        analysis,
        voice=table,
        transcript=result.transcript,
        provenance=prov.with_extra(voice=block),
    )
