"""The project's own speech-emotion model: a small CNN on log-mel spectrograms.

Trained by `tools/train_voice_cnn.py` on RAVDESS speech (actors 01-14; 15-18 held out);
see `docs/voice_model.md` for data, split, figures and terms (CC BY-NC-SA 4.0, inherited
from RAVDESS). The weights (`voice_cnn.pth`, a plain `torch.save` of a state dict) are
committed next to this module and checked against `WEIGHTS_SHA256` before loading.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.classifiers.base import VoiceClassifier
from emohelpers.analysis.voice.features import N_MELS, log_mel
from emohelpers.core.assets import sha256_file
from emohelpers.core.errors import ModelLoadError

NAME = "voice-cnn"
WEIGHTS = Path(__file__).with_name("voice_cnn.pth")
WEIGHTS_SHA256 = "fd54e065880a11247f78aa361a76d734308a4cb4cdcccc8cc9f6e5de10981a84"
#: Window length the model was trained on, seconds (shorter and longer windows work too).
WINDOW_S = 2.0


class VoiceCNN(nn.Module):
    """Log-mel (64 bands) -> 4 conv blocks -> mean and max over time -> 7 logits.

    Each window's log-mel is shifted by its own mean, which removes most of the effect of the
    recording level (not all: quiet parts hit the log floor differently).
    """

    def __init__(self, channels: tuple[int, ...] = (8, 16, 32, 64), dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm2d(1)]
        c_in = 1
        for c in channels:
            layers += [
                nn.Conv2d(c_in, c, 3, padding=1, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * c_in, len(EMOTIONS))

    @staticmethod
    def features(waves: torch.Tensor) -> torch.Tensor:
        """(B, n) 16 kHz waveforms -> (B, 64, frames) log-mel, each shifted to zero mean."""
        x = log_mel(waves, N_MELS)
        return x - x.mean(dim=(1, 2), keepdim=True)

    def classify(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, 64, frames >= 16) features -> (B, 7) logits in `EMOTIONS` order."""
        x = self.body(feats.unsqueeze(1)).mean(dim=2)  # (B, C, t): mean over frequency
        x = torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)
        return self.head(self.drop(x))

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        """(B, n) 16 kHz waveforms (n >= 2,400, 0.15 s) -> (B, 7) logits."""
        return self.classify(self.features(waves))


def load_weights(path: str | Path = WEIGHTS, sha256: str | None = WEIGHTS_SHA256) -> VoiceCNN:
    """The trained CNN, after checking its file's sha256.

    Raises:
        ModelLoadError: missing file, a checksum that differs (another file), or a state
            dict that does not fit the architecture.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(
            f"{p}: the voice model's weights are missing; reinstall emohelpers, or train them "
            "with tools/train_voice_cnn.py"
        )
    if sha256 is not None:
        actual = sha256_file(p)
        if actual != sha256:
            raise ModelLoadError(
                f"{p}: sha256 {actual} differs from the pinned {sha256}; this is not the "
                "voice model emohelpers ships; restore the file (git checkout) or pass a "
                "transformers model with --voice-model"
            )
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
        model = VoiceCNN()
        model.load_state_dict(state["state_dict"])
    except (
        RuntimeError,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        EOFError,
        pickle.UnpicklingError,
        struct.error,
    ) as exc:
        raise ModelLoadError(f"{p}: not a voice-cnn state dict ({exc})") from exc
    return model.eval()


class VoiceCNNClassifier(VoiceClassifier):
    """The offline voice model behind the `VoiceClassifier` interface.

    Args:
        device: torch device.
        batch_size: windows per forward pass.
        weights: the weights file (default: the committed `voice_cnn.pth`).
        sha256: its expected checksum (default: the pinned one; None skips the check, for
            weights being trained).
    """

    name = NAME

    def __init__(
        self,
        device: torch.device = torch.device("cpu"),
        batch_size: int = 32,
        weights: str | Path = WEIGHTS,
        sha256: str | None = WEIGHTS_SHA256,
    ) -> None:
        super().__init__(device, batch_size)
        self.model = load_weights(weights, sha256).to(device)
        self.revision = f"sha256:{sha256}" if sha256 else None

    def _forward(self, windows: list[np.ndarray]) -> np.ndarray:
        batch = torch.from_numpy(np.stack(windows))
        min_n = 2400  # pooling needs >= 16 feature frames
        if batch.shape[1] < min_n:
            batch = torch.nn.functional.pad(batch, (0, min_n - batch.shape[1]))
        with torch.inference_mode():
            logits = self.model(batch.to(self.device))
            return torch.softmax(logits.float(), dim=1).cpu().numpy()
