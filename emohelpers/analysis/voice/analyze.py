"""The voice channel's entry point: a clip (or an audio file) -> the voice table + provenance.

sound track (16 kHz mono, streamed) -> VAD per 32 ms -> windows -> speech windows
classified in batches, the others kept as NaN rows -> the voice table.

A clip without sound, or whose sound track breaks, is not an error here: the provenance's
`status` says so ("no audio", "broken audio") and the table holds what could be analysed
(nothing, or the windows before the break), so that a report can show it and go on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.source import VideoSource
from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.audio import (
    SAMPLE_RATE,
    AudioInfo,
    check_range,
    iter_audio,
    probe_audio,
)
from emohelpers.analysis.voice.classifiers import load_voice_classifier
from emohelpers.analysis.voice.sound_kind import SPEECH, sound_kind
from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.analysis.voice.table import build_voice_table, empty_voice_table
from emohelpers.analysis.voice.vad import SpeechDetector
from emohelpers.analysis.voice.windows import Window, Windower
from emohelpers.core.device import resolve_device
from emohelpers.core.errors import AudioReadError
from emohelpers.core.voice_settings import VoiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceAnalysis:
    """A voice table and its provenance; unpacks as `table, provenance = analysis`."""

    table: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    #: What was said (`transcript_table`), None when the transcript is off.
    transcript: pd.DataFrame | None = None

    def __iter__(self):
        return iter((self.table, self.provenance))


class _Rows:
    """Collects windows; classifies the speech ones in batches of the model's size, or, for
    a model that encodes stretches (`stretch_n`), one stretch of touching speech windows at a
    time (up to `stretch_n` samples)."""

    def __init__(
        self, classifier, settings: VoiceSettings, offset_s: float, transcriber=None
    ) -> None:
        self.classifier, self.settings, self.offset_s = classifier, settings, offset_s
        self.transcriber = transcriber
        if transcriber is not None:
            transcriber.reset(offset_s)
        self.bounds: list[tuple[int, int]] = []
        self.speech: list[float] = []
        self.probs: list[np.ndarray] = []
        self.sound: list[str | None] = []
        self._pending: list[tuple[int, Window]] = []
        self._stretch_n: int | None = getattr(classifier, "stretch_n", None)

    def add(self, w: Window) -> None:
        i = len(self.bounds)
        self.bounds.append((w.start, w.end))
        self.speech.append(w.speech_prob)
        self.probs.append(np.full(len(EMOTIONS), np.nan))
        if w.speech_prob < self.settings.min_speech_prob:
            self.sound.append(None)
            return
        self.sound.append(sound_kind(w.samples))
        if self.sound[-1] != SPEECH:  # singing or noise: marked, never read as speech emotion
            return
        if self.transcriber is not None:
            self.transcriber.add(w.start, w.end, w.samples)
        if self._stretch_n is not None and self._pending:
            first, last = self._pending[0][1], self._pending[-1][1]
            if w.start > last.end or w.end - first.start > self._stretch_n:
                self.flush()
        self._pending.append((i, w))
        if self._stretch_n is None and len(self._pending) >= self.classifier.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        windows = [w for _, w in self._pending]
        if self._stretch_n is None:
            out = self.classifier.predict([w.samples for w in windows])
        else:  # the windows touch: rebuild their stretch of sound from them
            lo, hi = windows[0].start, max(w.end for w in windows)
            stretch = np.zeros(hi - lo, dtype=np.float32)
            for w in windows:
                stretch[w.start - lo : w.end - lo] = w.samples
            bounds = np.array([(w.start - lo, w.end - lo) for w in windows], dtype=np.int64)
            out = self.classifier.predict_stretch(stretch, bounds)
        for (i, _), p in zip(self._pending, out, strict=True):
            self.probs[i] = p
        self._pending = []

    def table(self) -> pd.DataFrame:
        self.flush()
        if not self.bounds:
            return empty_voice_table()
        b = np.asarray(self.bounds, dtype=np.float64) / SAMPLE_RATE + self.offset_s
        return build_voice_table(
            b[:, 0], b[:, 1], np.asarray(self.speech), np.stack(self.probs), self.sound
        )


def analyze_signal(
    samples: np.ndarray,
    settings: VoiceSettings,
    classifier,
    detector,
    offset_s: float = 0.0,
) -> pd.DataFrame:
    """The voice table of a sound already in memory (labelled files, training, tests).

    Args:
        samples: (n,) float32 mono at 16 kHz.
        settings: windows, hop, speech threshold.
        classifier: a `VoiceClassifier`.
        detector: a `vad.SpeechDetector`.
        offset_s: time of the first sample, seconds.

    Returns:
        The validated voice table (same rows as `analyze_voice` on a file of this sound).
    """
    detector.reset()
    windower = Windower(settings.window_s, settings.hop_s)
    rows = _Rows(classifier, settings, offset_s)
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    for w in windower.feed(samples, detector.process(samples)):
        rows.add(w)
    for w in windower.finish(detector.flush()):
        rows.add(w)
    return rows.table()


def analyze_voice(
    path: str | Path | VideoSource,
    settings: VoiceSettings | None = None,
    *,
    device: str = "auto",
    start_s: float | None = None,
    end_s: float | None = None,
    classifier=None,
    detector=None,
    chunk_s: float = 30.0,
    strict: bool = False,
    transcriber=None,
) -> VoiceAnalysis:
    """Analyse the sound track of a clip (or an audio file): the voice table + provenance.

    Args:
        path: a video or audio file, or a clip's open `VideoSource` (its sound is read
            through the container it holds).
        settings: the voice settings (default `VoiceSettings()`: voice-cnn, 2 s windows, 1 s
            hop, speech at mean VAD probability >= 0.5).
        device: "auto" | "cpu" | "cuda", for the VAD and the voice model.
        start_s: analyse from this time, seconds (same axis as the frames' `time_s`).
        end_s: analyse up to this time, seconds.
        classifier: an already loaded `VoiceClassifier` (default: loaded from settings.model).
        detector: an already loaded `SpeechDetector` (default: silero-vad from the cache).
        chunk_s: seconds of sound decoded at a time (bounds the memory held).
        strict: raise when no sound at all can be decoded (the sound is the whole input,
            as in `analyze-voice`) instead of returning the "broken audio" status.
        transcriber: an already built `transcript.Transcriber` (default: one on the voice
            model's Whisper encoder, or a new one, when `settings.transcript`).

    Returns:
        `VoiceAnalysis(table, provenance, transcript)`; provenance["status"] is a `VoiceStatus`: OK,
        NO_AUDIO or BROKEN_AUDIO (with provenance["message"] saying why).

    Raises:
        AudioReadError: the file itself is missing, empty, a directory or unreadable (with
            `strict`, also a sound track of which nothing can be decoded).
        ModelLoadError: the voice model or the VAD cannot be loaded.
        ParameterError: invalid settings, device or time range.
    """
    settings = settings or VoiceSettings()
    t0 = time.perf_counter()
    source = path if isinstance(path, VideoSource) else None
    info: AudioInfo = path.audio_info() if isinstance(path, VideoSource) else probe_audio(path)
    prov: dict[str, Any] = {
        "audio": info.as_dict(),
        "settings": settings.as_dict(),
        "start_s": start_s,
        "end_s": end_s,
    }
    if not info.has_audio:
        prov.update(status=VoiceStatus.NO_AUDIO, message=f"{info.path.name} has no sound track")
        return VoiceAnalysis(empty_voice_table(), prov)
    dev = resolve_device(device)
    if detector is None:
        detector = SpeechDetector(device=dev)
    if classifier is None:
        classifier = load_voice_classifier(settings.model, dev, settings.batch_size)
    if settings.transcript and transcriber is None:
        transcriber = make_transcriber(classifier, dev)
    elif not settings.transcript:
        transcriber = None
    detector.reset()
    windower = Windower(settings.window_s, settings.hop_s)
    rows: _Rows | None = None
    status, message, n = VoiceStatus.OK, "", 0
    try:
        check_range(start_s, end_s)
        chunks = (
            source.audio(chunk_s, start_s=start_s, end_s=end_s)
            if source is not None
            else iter_audio(info.path, chunk_s, start_s=start_s, end_s=end_s)
        )
        for chunk in chunks:
            if rows is None:  # the first sample's time, after trimming to start_s
                rows = _Rows(classifier, settings, chunk.start_s, transcriber)
            n += len(chunk.samples)
            for w in windower.feed(chunk.samples, detector.process(chunk.samples)):
                rows.add(w)
    except AudioReadError as exc:
        if strict and not n:
            raise
        status, message = VoiceStatus.BROKEN_AUDIO, str(exc)
        log.warning("voice: %s; the voice table covers the sound before the break", exc)
    if rows is None:
        rows = _Rows(classifier, settings, info.offset_s, transcriber)
    for w in windower.finish(detector.flush()):
        rows.add(w)
    table = rows.table()
    transcript = None if transcriber is None else transcriber.table()
    seconds = time.perf_counter() - t0
    if transcript is not None:  # the transcript's time is told apart from the voice's
        seconds -= transcriber.seconds
        prov["transcript"] = {
            "segments": len(transcript),
            "languages": sorted(set(transcript["language"].dropna())),
            "seconds": transcriber.seconds,
        }
    n_speech = int(table[list(EMOTIONS)].notna().all(axis=1).sum())
    marked = table["sound"].value_counts().to_dict()
    prov.update(
        status=status,
        message=message
        or f"{len(table)} windows, {n_speech} with speech"
        + "".join(f", {marked[k]} {k}" for k in ("singing", "noise") if marked.get(k)),
        vad=detector.name,
        classifier=classifier.info(),
        audio_s=n / SAMPLE_RATE,
        n_windows=len(table),
        n_speech_windows=n_speech,
        n_singing_windows=int(marked.get("singing", 0)),
        n_noise_windows=int(marked.get("noise", 0)),
        seconds=seconds,
    )
    return VoiceAnalysis(table, prov, transcript)


def make_transcriber(classifier, device):
    """A `Transcriber` on the voice model's own Whisper encoder, or on a new one."""
    # ctranslate2 and the tokenizer only when a transcript is asked for
    from emohelpers.analysis.voice.transcript import Transcriber
    from emohelpers.analysis.voice.whisper import WhisperEncoder

    encoder = getattr(classifier, "encoder", None)
    return Transcriber(encoder if encoder is not None else WhisperEncoder(device=device))
