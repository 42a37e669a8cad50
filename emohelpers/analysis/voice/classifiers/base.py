"""The voice-classifier interface: 16 kHz speech windows in, an (N, 7) probability array out.

Like the face classifiers: `preprocess -> _forward -> postprocess`; only `_forward` touches
torch and the device, under `torch.inference_mode()`, and returns CPU numpy. Windows may
differ in length; the output columns are always in `EMOTIONS` order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from emohelpers.analysis.classifiers.base import BatchedModel
from emohelpers.analysis.table import EMOTIONS


class VoiceClassifier(BatchedModel, ABC):
    """Base of every speech-emotion classifier (see `BatchedModel` for its attributes:
    `name` is e.g. "voice-cnn", a Hub id or a folder; `batch_size` counts windows).
    """

    @abstractmethod
    def _forward(self, windows: list[np.ndarray]) -> np.ndarray:
        """Up to `batch_size` windows -> (n, 7) float32 probabilities in `EMOTIONS` order."""

    def predict(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """Emotion probabilities of speech windows.

        Windows of equal length are batched together (a clip's windows all have the same
        length but for a short last one), so results do not depend on the batch size.

        Args:
            windows: N (n_i,) float32 mono waveforms at 16 kHz, in [-1, 1].

        Returns:
            (N, 7) float32 in `EMOTIONS` order, rows summing to 1; (0, 7) for no windows.
        """
        windows = [np.asarray(w, dtype=np.float32).reshape(-1) for w in windows]
        out = np.empty((len(windows), len(EMOTIONS)), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for i, w in enumerate(windows):
            by_len.setdefault(len(w), []).append(i)
        for idx in by_len.values():
            for start in range(0, len(idx), self.batch_size):
                part = idx[start : start + self.batch_size]
                out[part] = self._forward([windows[i] for i in part])
        return out

    #: Longest stretch (samples) `predict_stretch` gains from; None: windows one by one.
    stretch_n: int | None = None

    def predict_stretch(self, samples: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Emotion probabilities of windows that lie in one contiguous stretch of sound.

        A model with context (Whisper's encoder) encodes the stretch once and pools every
        window from it; the default cuts the windows out and calls `predict`.

        Args:
            samples: (n,) float32 mono 16 kHz, the stretch.
            bounds: (k, 2) int [start, end) sample ranges inside it, sorted by start.

        Returns:
            (k, 7) float32 in `EMOTIONS` order.
        """
        return self.predict([samples[int(s) : int(e)] for s, e in np.asarray(bounds)])
