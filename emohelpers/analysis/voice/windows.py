"""Cutting a sound stream into analysis windows, streamed: samples and VAD in, rows out.

Windows start every `hop_s` seconds while a whole window fits; when the last of those ends
before the sound does, one more window ends exactly at the end of the sound (so every
sample is covered); a sound shorter than one window is one short window. Only the samples
that a future window still needs are kept in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from emohelpers.analysis.voice.audio import SAMPLE_RATE
from emohelpers.analysis.voice.vad import FRAME


def window_bounds(n_samples: int, window_n: int, hop_n: int) -> np.ndarray:
    """Sample ranges of the windows of a sound of known length (the rule above).

    Args:
        n_samples: length of the sound, samples.
        window_n: window length, samples.
        hop_n: hop between window starts, samples (1 <= hop_n <= window_n).

    Returns:
        (k, 2) int64 array of [start, end) sample indices; (0, 2) for an empty sound.
    """
    if n_samples <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    if n_samples <= window_n:
        return np.array([[0, n_samples]], dtype=np.int64)
    starts = np.arange(0, n_samples - window_n + 1, hop_n, dtype=np.int64)
    bounds = np.stack([starts, starts + window_n], axis=1)
    if bounds[-1, 1] < n_samples:
        bounds = np.vstack([bounds, [[n_samples - window_n, n_samples]]])
    return bounds


def speech_prob(vad: np.ndarray, start: int, end: int) -> float:
    """Mean VAD probability of the 32 ms frames that overlap samples [start, end)."""
    frames = vad[start // FRAME : -(-end // FRAME)]
    return float(frames.mean()) if len(frames) else 0.0


@dataclass(frozen=True)
class Window:
    """One analysis window: [start, end) in samples of the stream, its sound and VAD score."""

    start: int
    end: int
    samples: np.ndarray
    speech_prob: float


class Windower:
    """Feed decoded sound and its VAD probabilities; get complete windows back.

    Args:
        window_s: window length, seconds.
        hop_s: hop between window starts, seconds.
    """

    def __init__(self, window_s: float, hop_s: float) -> None:
        self.window_n = max(1, int(round(window_s * SAMPLE_RATE)))
        self.hop_n = max(1, min(self.window_n, int(round(hop_s * SAMPLE_RATE))))
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # stream index of _buf[0]
        self._n = 0  # samples fed so far
        self._vad: list[np.ndarray] = []
        self._next = 0  # start of the next regular window
        self._last_end = 0  # end of the last emitted window

    @property
    def vad(self) -> np.ndarray:
        """(frames,) float32 VAD probabilities fed so far."""
        return np.concatenate(self._vad) if self._vad else np.zeros(0, dtype=np.float32)

    def _window(self, start: int, end: int, vad: np.ndarray) -> Window:
        seg = self._buf[start - self._buf_start : end - self._buf_start]
        self._last_end = end
        return Window(start, end, seg.copy(), speech_prob(vad, start, end))

    def feed(self, samples: np.ndarray, vad_probs: np.ndarray) -> Iterator[Window]:
        """Add samples (and the VAD probabilities of newly complete frames); yield windows.

        A window is yielded once its samples and all its VAD frames are known.
        """
        self._buf = np.concatenate([self._buf, np.asarray(samples, dtype=np.float32)])
        self._n += len(samples)
        if len(vad_probs):
            self._vad.append(np.asarray(vad_probs, dtype=np.float32))
        vad = self.vad
        scored_to = len(vad) * FRAME  # samples whose VAD frame is known
        while self._next + self.window_n <= min(self._n, scored_to):
            yield self._window(self._next, self._next + self.window_n, vad)
            self._next += self.hop_n
        # Keep what the next regular window or a final end-aligned window may need.
        keep_from = max(0, min(self._next, self._n - self.window_n))
        if keep_from > self._buf_start:
            self._buf = self._buf[keep_from - self._buf_start :]
            self._buf_start = keep_from

    def finish(self, vad_probs: np.ndarray) -> Iterator[Window]:
        """The stream has ended: yield the remaining windows (`window_bounds`' rule)."""
        yield from self.feed(np.zeros(0, dtype=np.float32), vad_probs)
        vad = self.vad
        if self._n == 0:
            return
        if self._n <= self.window_n:
            if self._last_end == 0:
                yield self._window(0, self._n, vad)
        elif self._last_end < self._n:
            yield self._window(self._n - self.window_n, self._n, vad)
