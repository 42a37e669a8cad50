"""Speech, singing or noise: what a window where the VAD fires holds, from its pitch track.

Pure numpy. The pitch track: normalised autocorrelation of 40 ms frames every 10 ms, a frame
voiced where its best peak between 70 and 600 Hz reaches `VOICED_R`. Then:

- noise: fewer than `MIN_VOICED` of the frames voiced (no periodic source to speak of);
- singing: pitch held, note after note: at least `MIN_HELD` of the voiced frames lie within
  `HELD_SEMITONES` of the frame 50 ms later, and voicing nearly continuous (`SUNG_VOICED`);
  speech glides and breaks between syllables far more often;
- speech: the rest.

Measured on espeak-ng speech, espeak-ng "la" syllables held at set pitches, a synthetic sung
tone sequence (harmonics with vowel formants and vibrato) and white noise: see
tests/voice/test_sound_kind.py. Music and real singing differ from these; the marking says
what the features allow, not more.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
FRAME = 640  # 40 ms
HOP = 160  # 10 ms
LAG_MIN, LAG_MAX = SAMPLE_RATE // 600, SAMPLE_RATE // 70
VOICED_R = 0.6
MIN_VOICED = 0.03
SUNG_VOICED = 0.6
MIN_HELD = 0.65
HELD_SEMITONES = 0.5
_AHEAD = 5  # frames (50 ms)

SPEECH, SINGING, NOISE = "speech", "singing", "noise"
KINDS = (SPEECH, SINGING, NOISE)


def pitch_track(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f0_hz, voiced) per 10 ms frame: (m,) float64 Hz (NaN unvoiced) and (m,) bool."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if len(x) < FRAME:
        return np.zeros(0), np.zeros(0, dtype=bool)
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(frames, n=2 * FRAME, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : LAG_MAX + 1]
    energy = ac[:, :1] + 1e-12
    r = ac[:, LAG_MIN : LAG_MAX + 1] / energy
    best = r.argmax(axis=1)
    peak = r[np.arange(len(r)), best]
    loud = ac[:, 0] > 1e-6 * FRAME
    voiced = (peak >= VOICED_R) & loud
    f0 = np.where(voiced, SAMPLE_RATE / (best + LAG_MIN), np.nan)
    return f0, voiced


def sound_features(samples: np.ndarray) -> dict[str, float]:
    """voiced (fraction of frames voiced) and held (fraction of voiced frames whose pitch
    is within `HELD_SEMITONES` 50 ms later), both in [0, 1]."""
    f0, voiced = pitch_track(samples)
    if not len(f0):
        return {"voiced": 0.0, "held": 0.0}
    semis = 12 * np.log2(f0 / 100.0)
    pairs = voiced[:-_AHEAD] & voiced[_AHEAD:]
    diff = np.abs(semis[_AHEAD:] - semis[:-_AHEAD])[pairs]
    held = float((diff <= HELD_SEMITONES).mean()) if len(diff) else 0.0
    return {"voiced": float(voiced.mean()), "held": held}


def sound_kind(samples: np.ndarray) -> str:
    """ "speech", "singing" or "noise" for one window of 16 kHz mono sound (rules above)."""
    f = sound_features(samples)
    if f["voiced"] < MIN_VOICED:
        return NOISE
    if f["voiced"] >= SUNG_VOICED and f["held"] >= MIN_HELD:
        return SINGING
    return SPEECH
