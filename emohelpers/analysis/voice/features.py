"""Speech features in plain torch (no torchaudio): log-mel spectrograms and MFCCs.

Pure functions: a batch of 16 kHz waveforms in, a batch of feature maps out. The mel scale
is HTK's (2595 log10(1 + f / 700)), triangles not area-normalised; 25 ms windows, 10 ms hop.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 64
F_MIN, F_MAX = 50.0, 8000.0
LOG_FLOOR = 1e-6


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT) -> torch.Tensor:
    """Triangular mel filters: (n_mels, n_fft // 2 + 1) float32, rows over FFT bins."""
    freqs = np.linspace(0.0, SAMPLE_RATE / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(F_MIN), _hz_to_mel(F_MAX), n_mels + 2))
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs[None] - lo) / (mid - lo)
    down = (hi - freqs[None]) / (hi - mid)
    return torch.from_numpy(np.clip(np.minimum(up, down), 0.0, None).astype(np.float32))


@lru_cache(maxsize=8)
def dct_matrix(n_mfcc: int, n_mels: int = N_MELS) -> torch.Tensor:
    """Orthonormal DCT-II basis: (n_mels, n_mfcc) float32, so that mfcc = logmel @ D."""
    n = np.arange(n_mels)[:, None]
    k = np.arange(n_mfcc)[None]
    d = np.cos(math.pi / n_mels * (n + 0.5) * k) * math.sqrt(2.0 / n_mels)
    d[:, 0] /= math.sqrt(2.0)
    return torch.from_numpy(d.astype(np.float32))


def n_frames(n_samples: int) -> int:
    """Feature frames for a waveform of `n_samples` (centred STFT): 1 + n // HOP."""
    return 1 + int(n_samples) // HOP


def log_mel(waves: torch.Tensor, n_mels: int = N_MELS) -> torch.Tensor:
    """Log-mel spectrograms.

    Args:
        waves: (B, n) float32 waveforms at 16 kHz, in [-1, 1].
        n_mels: mel bands.

    Returns:
        (B, n_mels, 1 + n // 160) float32 natural-log mel power (floor 1e-6).
    """
    window = torch.hann_window(N_FFT, device=waves.device)
    spec = torch.stft(
        waves, N_FFT, HOP, window=window, center=True, pad_mode="constant", return_complex=True
    )
    power = spec.real**2 + spec.imag**2
    mel = mel_filterbank(n_mels).to(waves.device) @ power
    return torch.log(mel + LOG_FLOOR)


def mfcc(waves: torch.Tensor, n_mfcc: int = 40) -> torch.Tensor:
    """MFCCs: (B, n) waveforms -> (B, n_mfcc, frames) float32 (DCT-II of `log_mel`)."""
    lm = log_mel(waves)
    return torch.einsum("bmt,mk->bkt", lm, dct_matrix(n_mfcc).to(waves.device))
