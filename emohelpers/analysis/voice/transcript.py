"""What was said: Whisper-base (the voice model's own encoder) transcribes the speech.

The voice channel hands over its speech windows; touching ones are joined into stretches of
up to 30 s (Whisper's input), each encoded once at its own length, its language detected and
decoded greedily with Whisper's timestamp tokens. Every segment between two timestamps is one
row of the transcript (`transcript_table`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.voice.audio import SAMPLE_RATE
from emohelpers.analysis.voice.transcript_table import build_transcript
from emohelpers.analysis.voice.whisper import WhisperEncoder, log_mel
from emohelpers.core.errors import ModelLoadError

#: Longest stretch transcribed in one pass, seconds (Whisper's input).
TRANSCRIBE_S = 30.0
_TIME_STEP = 0.02  # seconds per timestamp token


class Transcriber:
    """Collects speech windows and transcribes each stretch of touching ones.

    Args:
        encoder: a `WhisperEncoder` (the voice model's, when it has one).
        offset_s: time of the stream's first sample on the tables' clock, seconds.
    """

    def __init__(self, encoder: WhisperEncoder, offset_s: float = 0.0) -> None:
        # the tokenizer only where a transcript is made
        from tokenizers import Tokenizer

        self.encoder = encoder
        self.tokenizer = Tokenizer.from_file(str(encoder.folder / "tokenizer.json"))
        self._ts0: int = self._token("<|0.00|>")
        self._prompt = [self._token("<|startoftranscript|>")]
        self._task = self._token("<|transcribe|>")
        self.max_n = int(TRANSCRIBE_S * SAMPLE_RATE)
        self.reset(offset_s)

    def _token(self, text: str) -> int:
        tok = self.tokenizer.token_to_id(text)
        if tok is None:
            raise ModelLoadError(
                f"{self.encoder.folder / 'tokenizer.json'}: lacks Whisper's token {text}; "
                "fix: delete the folder and run `emohelpers fetch-assets`"
            )
        return int(tok)

    def reset(self, offset_s: float = 0.0) -> None:
        """Start a new stream whose first sample is at `offset_s`."""
        self.offset_s = offset_s
        self.rows: list[dict[str, Any]] = []
        self.seconds = 0.0  # spent transcribing
        self._lo = self._hi = 0
        self._parts: list[tuple[int, np.ndarray]] = []

    def add(self, start: int, end: int, samples: np.ndarray) -> None:
        """One speech window: [start, end) samples of the stream and its sound."""
        if self._parts and (start > self._hi or end - self._lo > self.max_n):
            self.flush()
        if not self._parts:
            self._lo = start
        self._parts.append((start, samples))
        self._hi = max(self._hi, end) if len(self._parts) > 1 else end

    def flush(self) -> None:
        """Transcribe the pending stretch."""
        if not self._parts:
            return
        stretch = np.zeros(self._hi - self._lo, dtype=np.float32)
        for start, samples in self._parts:
            stretch[start - self._lo : start - self._lo + len(samples)] = samples
        t0 = time.perf_counter()
        self.rows += self.transcribe(stretch, self.offset_s + self._lo / SAMPLE_RATE)
        self.seconds += time.perf_counter() - t0
        self._parts = []

    def table(self) -> pd.DataFrame:
        """The transcript so far (after transcribing what is pending)."""
        self.flush()
        return build_transcript(self.rows)

    def transcribe(self, samples: np.ndarray, start_s: float) -> list[dict[str, Any]]:
        """Segments of one stretch (<= 30 s) that starts at `start_s` on the tables' clock."""
        ct2 = self.encoder._ct2
        mel = log_mel(samples)[:, : 2 * 1500]
        states = ct2.StorageView.from_array(self.encoder.encode_mel(mel)[None])
        lang_token, _ = self.encoder.model.detect_language(states)[0][0]
        prompt = [*self._prompt, self._token(lang_token), self._task]
        duration = len(samples) / SAMPLE_RATE
        result = self.encoder.model.generate(
            states,
            [prompt],
            beam_size=1,
            return_scores=True,
            max_length=min(224, 8 + int(12 * duration)),  # no room for long hallucinations
        )[0]
        confidence = float(np.exp(result.scores[0])) if result.scores else float("nan")
        language = lang_token.strip("<|>")
        return self._segments(result.sequences_ids[0], duration, start_s, language, confidence)

    def _segments(
        self, ids: list[int], duration: float, start_s: float, language: str, confidence: float
    ) -> list[dict[str, Any]]:
        """Rows of the text between timestamp tokens. Whisper, given less than its 30 s, may
        go on past the end of the sound repeating itself: what starts in the last 0.1 s,
        and a repeat of the segment before it in less than half its time, is dropped."""
        rows: list[tuple[float, float, str]] = []
        tokens: list[int] = []
        t_open = 0.0
        for tok in [*ids, self._ts0 + int(round(duration / _TIME_STEP))]:
            if tok < self._ts0:
                tokens.append(tok)
                continue
            t = (tok - self._ts0) * _TIME_STEP
            text = self.tokenizer.decode(tokens).strip()
            tokens = []
            if not text:
                t_open = t
                continue
            end = min(max(t, t_open + _TIME_STEP), duration)
            if t_open >= duration - 0.1:
                break
            repeat = (
                bool(rows)
                and rows[-1][2] == text
                and end - t_open <= 0.5 * (rows[-1][1] - rows[-1][0])
            )
            if not repeat:
                rows.append((t_open, end, text))
            t_open = t
        return [
            {
                "start_s": start_s + a,
                "end_s": start_s + b,
                "text": text,
                "language": language,
                "confidence": confidence,
            }
            for a, b, text in rows
        ]
