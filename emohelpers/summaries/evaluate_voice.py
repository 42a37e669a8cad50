"""A voice model's accuracy on a labelled folder of audio files (`<label>/<audio file>`).

The audio twin of `evaluate_images`, and how a user picks the voice model to trust: each
file is classified whole with the same preprocessing as a clip's sound track (16 kHz mono,
VAD, windows; `analysis.voice.analyze.analyze_signal`), its prediction being the most
probable emotion of the mean of its speech windows. A file in which no speech is found has
no prediction (counted wrong, and listed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import AudioReadError, SchemaError
from emohelpers.core.voice_settings import VoiceSettings
from emohelpers.summaries.labelled_folder import list_labelled_files
from emohelpers.summaries.metrics import classification_metrics, metrics_fields

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a"})


def mean_voice_probs(voice: pd.DataFrame) -> np.ndarray | None:
    """Mean probabilities of a voice table's speech windows: (7,) float64, or None if none."""
    probs = voice[list(EMOTIONS)].to_numpy(dtype=np.float64)
    probs = probs[~np.isnan(probs).any(axis=1)]
    return probs.mean(axis=0) if len(probs) else None


def file_prediction(voice: pd.DataFrame) -> str | None:
    """The emotion of a whole file: argmax of `mean_voice_probs`, None without speech."""
    mean = mean_voice_probs(voice)
    return None if mean is None else EMOTIONS[int(mean.argmax())]


def list_labelled_audio(
    folder: str | Path, skip_unknown: bool = False
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The audio files of `folder/<label>/<file>` with their canonical labels.

    Label folders are named after the seven emotions or their synonyms (`calm` reads as
    neutral, see `classifiers.labels.canonical_label`).

    Returns:
        ([(audio path, emotion)], names of the skipped unknown label folders).

    Raises:
        SchemaError: a missing folder, an unknown label folder (unless `skip_unknown`), or
            no audio files at all.
    """
    return list_labelled_files(
        folder, AUDIO_EXTENSIONS, item="audio file", plural="audio files", skip_unknown=skip_unknown
    )


def evaluate_voice(
    folder: str | Path,
    classifier: Any,
    detector: Any,
    settings: Any = None,
    *,
    skip_unknown: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Accuracy of a voice model on `folder/<label>/<audio file>`.

    Args:
        folder: the labelled folder.
        classifier: a `VoiceClassifier`.
        detector: a `vad.SpeechDetector`.
        settings: a `VoiceSettings` (default: the analysis defaults).
        skip_unknown: skip unknown label folders (with a warning) instead of raising.
        progress: show a progress bar.

    Returns:
        JSON-ready dict: folder, classifier, settings, n, accuracy, macro_f1, recall {label:
        recall}, per_class, confusion (as `classification_metrics`; "no prediction" is a
        column), n_no_speech and no_speech (files without a speech window), skipped,
        n_failed and failed ([{file, reason}]: files that cannot be decoded, not scored).

    Raises:
        SchemaError: see `list_labelled_audio`.
        SchemaError: no file could be decoded (see also `list_labelled_audio`).
    """
    # torch and PyAV only when audio files are scored; scoring tables needs neither
    from emohelpers.analysis.voice.analyze import analyze_signal
    from emohelpers.analysis.voice.audio import read_audio

    settings = settings or VoiceSettings()
    root = Path(folder)
    items, skipped = list_labelled_audio(root, skip_unknown)
    predicted: list[str | None] = []
    failed: list[dict[str, str]] = []
    scored = []
    for path, label in tqdm(items, desc="evaluate-voice", unit="file", disable=not progress):
        try:
            samples, _info = read_audio(path)
        except AudioReadError as exc:  # a file that cannot be decoded is no "no speech"
            failed.append({"file": path.relative_to(root).as_posix(), "reason": str(exc)})
            continue
        scored.append((path, label))
        predicted.append(file_prediction(analyze_signal(samples, settings, classifier, detector)))
    if not scored:
        raise SchemaError(f"{root}: none of its audio files can be decoded ({failed[0]['reason']})")
    items = scored
    metrics = classification_metrics([lbl for _, lbl in items], predicted, EMOTIONS)
    pairs = zip(items, predicted, strict=True)
    no_speech = [str(p.relative_to(root)) for (p, _), y in pairs if y is None]
    return {
        "folder": str(root),
        "classifier": getattr(classifier, "name", type(classifier).__name__),
        "settings": settings.as_dict(),
        **metrics_fields(metrics),
        "n_no_speech": len(no_speech),
        "no_speech": no_speech,
        "skipped": skipped,
        "n_failed": len(failed),
        "failed": failed,
    }
