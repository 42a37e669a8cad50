"""Reading sound: a clip's sound track (or an audio file) as 16 kHz mono float32, streamed.

PyAV decodes the first audio stream and its `AudioResampler` converts it to 16 kHz mono
float32 on the fly, so a long video is never held in memory as a whole: `iter_audio` yields
chunks of a few seconds. Times are on the same axis as the video frames' `time_s` (seconds
from the start of the video stream; from the start of the audio stream for audio files).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from emohelpers.analysis.media import check_media_file, open_media
from emohelpers.core.errors import AudioReadError, ParameterError

log = logging.getLogger(__name__)

#: The one sample rate of the voice channel, Hz (VAD and voice models expect it).
SAMPLE_RATE = 16000

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".webm")


@dataclass(frozen=True)
class AudioInfo:
    """What a file's sound track is.

    Attributes:
        path: the file.
        has_audio: whether the file has an audio stream at all.
        codec: the audio codec's name ("" without audio).
        source_rate: the stream's own sample rate, Hz (0 without audio).
        channels: the stream's channel count (0 without audio).
        duration_s: duration of the audio stream, seconds (0.0 when unknown).
        offset_s: start of the audio stream minus start of the video stream, seconds (0.0
            for audio files); sample k of the decoded sound is at `offset_s + k / 16000`.
    """

    path: Path
    has_audio: bool
    codec: str = ""
    source_rate: int = 0
    channels: int = 0
    duration_s: float = 0.0
    offset_s: float = 0.0

    def as_dict(self) -> dict:
        """JSON-ready fields, for the provenance."""
        d = self.__dict__.copy()
        d["path"] = str(self.path)
        return d


@dataclass(frozen=True)
class AudioChunk:
    """A run of decoded sound.

    Attributes:
        start_s: time of the first sample, seconds (see `AudioInfo.offset_s`).
        samples: (n,) float32 mono samples at `SAMPLE_RATE`, in [-1, 1].
    """

    start_s: float
    samples: np.ndarray


def _check_file(path: str | Path) -> Path:
    return check_media_file(path, AudioReadError, "an audio or video file")


def _open(path: Path) -> av.container.InputContainer:
    return open_media(path, AudioReadError, "audio or video")


def _start_s(stream) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0


def _info(path: Path, container: av.container.InputContainer) -> AudioInfo:
    if not container.streams.audio:
        return AudioInfo(path=path, has_audio=False)
    stream = container.streams.audio[0]
    if stream.duration is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    offset = 0.0
    if container.streams.video:
        offset = _start_s(stream) - _start_s(container.streams.video[0])
    return AudioInfo(
        path=path,
        has_audio=True,
        codec=stream.codec_context.name,
        source_rate=int(stream.rate or 0),
        channels=int(stream.channels or 0),
        duration_s=duration,
        offset_s=offset,
    )


def probe_audio(path: str | Path) -> AudioInfo:
    """Describe a file's sound track without decoding it.

    A file without an audio stream is not an error here (`has_audio` is False): a video
    without sound is a normal input whose voice channel is empty.

    Raises:
        AudioReadError: missing, empty, a directory, or not readable as media.
    """
    p = _check_file(path)
    container = _open(p)
    try:
        return _info(p, container)
    finally:
        container.close()


def _check_range(start_s: float | None, end_s: float | None) -> None:
    for name, v in (("start_s", start_s), ("end_s", end_s)):
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise ParameterError(f"{name}={v!r}: must be a number >= 0 (seconds)")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise ParameterError(f"end_s={end_s} must be after start_s={start_s}")


def iter_audio(
    path: str | Path,
    chunk_s: float = 10.0,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
) -> Iterator[AudioChunk]:
    """Stream a file's sound track as 16 kHz mono float32 chunks.

    Args:
        path: an audio or video file.
        chunk_s: length of the yielded chunks, seconds (the last one may be shorter).
        start_s: drop sound before this time, seconds.
        end_s: stop at this time, seconds (exclusive).

    Yields:
        `AudioChunk`s, contiguous, in time order; nothing for a file without sound.

    Raises:
        AudioReadError: unreadable file, or a sound track that breaks while decoding (the
            message says after how many seconds; the chunks before were already yielded).
        ParameterError: for a non-positive `chunk_s` or an invalid time range.
    """
    if not (np.isfinite(chunk_s) and chunk_s > 0):
        raise ParameterError(f"chunk_s={chunk_s!r}: must be a number > 0 (seconds)")
    _check_range(start_s, end_s)
    p = _check_file(path)
    container = _open(p)
    try:
        info = _info(p, container)
        if not info.has_audio:
            return
        chunk_n = max(1, int(round(chunk_s * SAMPLE_RATE)))
        first = 0 if start_s is None else max(0, int(round((start_s - info.offset_s) * 16000)))
        stop = None if end_s is None else max(0, int(round((end_s - info.offset_s) * 16000)))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        n_pending = 0
        n_done = 0  # samples decoded so far (before trimming)
        emitted = max(first, 0)  # index of the next sample to yield

        def frames():
            for frame in container.decode(container.streams.audio[0]):
                yield from resampler.resample(frame)
            yield from resampler.resample(None)  # flush the resampler's tail

        try:
            for out in frames():
                x = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                lo, hi = n_done, n_done + len(x)
                n_done = hi
                # Keep the part of this frame inside [first, stop).
                a = max(lo, emitted)
                b = hi if stop is None else min(hi, stop)
                if b > a:
                    pending.append(x[a - lo : b - lo])
                    n_pending += b - a
                while n_pending >= chunk_n:
                    joined = np.concatenate(pending)
                    yield AudioChunk(info.offset_s + emitted / SAMPLE_RATE, joined[:chunk_n])
                    emitted += chunk_n
                    pending, n_pending = [joined[chunk_n:]], len(joined) - chunk_n
                if stop is not None and n_done >= stop:
                    break
        except av.error.FFmpegError as exc:
            raise AudioReadError(
                f"{p}: the sound track breaks after {n_done / SAMPLE_RATE:.2f} s "
                f"(corrupt audio: {exc})"
            ) from exc
        if n_pending:
            yield AudioChunk(info.offset_s + emitted / SAMPLE_RATE, np.concatenate(pending))
    finally:
        container.close()


def read_audio(
    path: str | Path, *, start_s: float | None = None, end_s: float | None = None
) -> tuple[np.ndarray, AudioInfo]:
    """A whole sound track (or a part) in memory, for short files (labelled audio, tests).

    Returns:
        ((n,) float32 mono samples at `SAMPLE_RATE`, the file's `AudioInfo`).

    Raises:
        AudioReadError: unreadable, without an audio stream, or broken while decoding.
    """
    info = probe_audio(path)
    if not info.has_audio:
        raise AudioReadError(f"{info.path}: has no audio stream; expected speech to classify")
    chunks = [c.samples for c in iter_audio(path, 60.0, start_s=start_s, end_s=end_s)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return samples, info
