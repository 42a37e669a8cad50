"""Reading sound: a clip's sound track (or an audio file) as 16 kHz mono float32, streamed.

PyAV decodes the first audio stream and its `AudioResampler` converts it to 16 kHz mono
float32 on the fly, so a long video is never held in memory as a whole: `iter_audio` yields
chunks of a few seconds. Times are on the player's clock, the axis of the video frames'
`time_s`: a sample's presentation time minus the container's start time.

`decode_audio` works on an open container, so that `source.VideoSource` reads a clip's sound
through the container it already holds; `iter_audio` opens a file (an audio file too).
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
        offset_s: start of the audio stream on the player's clock (its start time minus the
            container's), seconds; sample k of the decoded sound is at `offset_s + k / rate`.
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
        start_s: time of the first sample, seconds on the player's clock.
        samples: (n,) float32 mono samples (at `SAMPLE_RATE` unless asked otherwise), in
            [-1, 1]; (channels, n) for a stereo layout.
    """

    start_s: float
    samples: np.ndarray


def _check_file(path: str | Path) -> Path:
    return check_media_file(path, AudioReadError, "an audio or video file")


def _open(path: Path) -> av.container.InputContainer:
    return open_media(path, AudioReadError, "audio or video")


def container_start_s(container: av.container.InputContainer) -> float:
    """The container's start time, seconds: the zero of the player's clock."""
    return container.start_time / 1e6 if container.start_time is not None else 0.0


def audio_info(path: Path, container: av.container.InputContainer) -> AudioInfo:
    """What the sound track of an open container is (see `AudioInfo`)."""
    if not container.streams.audio:
        return AudioInfo(path=path, has_audio=False)
    stream = container.streams.audio[0]
    tb = stream.time_base
    if stream.duration is not None and tb is not None:
        duration = float(stream.duration * tb)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    start = float(stream.start_time * tb) if stream.start_time is not None and tb else 0.0
    return AudioInfo(
        path=path,
        has_audio=True,
        codec=stream.codec_context.name,
        source_rate=int(stream.rate or 0),
        channels=int(stream.channels or 0),
        duration_s=duration,
        offset_s=start - container_start_s(container),
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
        return audio_info(p, container)
    finally:
        container.close()


def check_range(start_s: float | None, end_s: float | None) -> None:
    """Refuse a time range that is not two numbers >= 0 in order (ParameterError)."""
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
    check_range(start_s, end_s)
    p = _check_file(path)
    container = _open(p)
    try:
        yield from decode_audio(p, container, chunk_s, start_s=start_s, end_s=end_s)
    finally:
        container.close()


def decode_audio(
    path: Path,
    container: av.container.InputContainer,
    chunk_s: float = 10.0,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    rate: int = SAMPLE_RATE,
    layout: str = "mono",
    seek: bool = False,
) -> Iterator[AudioChunk]:
    """The sound track of an open container, resampled, in chunks on the player's clock.

    Args:
        path: the file (for messages).
        container: the open container; decoding starts where it is (or at `start_s`).
        chunk_s: length of the yielded chunks, seconds.
        start_s, end_s: the time range, seconds (end exclusive).
        rate: output sample rate, Hz.
        layout: "mono" (samples (n,)) or "stereo" (samples (2, n)), float32.
        seek: seek to `start_s` first (short cuts of long files) instead of decoding from
            the start of the stream.

    Yields:
        `AudioChunk`s, contiguous, in time order; nothing without a sound track.

    Raises:
        AudioReadError: a sound track that cannot be decoded (one that gives no sample at
            all is junk, never silence) or breaks while decoding.
        ParameterError: for a non-positive `chunk_s`.
    """
    if not (np.isfinite(chunk_s) and chunk_s > 0):
        raise ParameterError(f"chunk_s={chunk_s!r}: must be a number > 0 (seconds)")
    info = audio_info(path, container)
    if not info.has_audio:
        return
    stream = container.streams.audio[0]
    origin_s = container_start_s(container)
    if seek and start_s and stream.time_base is not None:
        # Back a little: the first decoded frame's own time then says where the samples are.
        at = max(0.0, start_s - 0.5) + origin_s
        container.seek(int(at / stream.time_base), stream=stream, backward=True)
    elif seek:
        container.seek(0, stream=stream)
    chunk_n = max(1, int(round(chunk_s * rate)))
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
    pending: list[np.ndarray] = []
    n_pending = 0
    n_done = 0  # samples decoded so far (before trimming)
    first = emitted = 0
    stop: int | None = None
    t0: float | None = None  # time of decoded sample 0, seconds

    def out(samples: np.ndarray) -> np.ndarray:
        return samples[0] if layout == "mono" else samples

    try:
        for frame in container.decode(stream):
            if t0 is None:  # after a seek, the first frame's own time; else the stream's start
                own = frame.time if seek and frame.pts is not None else None
                t0 = info.offset_s if own is None else own - origin_s
                first = 0 if start_s is None else max(0, int(round((start_s - t0) * rate)))
                stop = None if end_s is None else max(0, int(round((end_s - t0) * rate)))
                emitted = first
            for piece in resampler.resample(frame):
                x = piece.to_ndarray().astype(np.float32, copy=False)
                lo, hi = n_done, n_done + x.shape[1]
                n_done = hi
                a = max(lo, emitted + n_pending)
                b = hi if stop is None else min(hi, stop)
                if b > a:
                    pending.append(x[:, a - lo : b - lo])
                    n_pending += b - a
                while n_pending >= chunk_n:
                    joined = np.concatenate(pending, axis=1)
                    yield AudioChunk(t0 + emitted / rate, out(joined[:, :chunk_n]))
                    emitted += chunk_n
                    pending, n_pending = [joined[:, chunk_n:]], joined.shape[1] - chunk_n
            if stop is not None and n_done >= stop:
                break
        else:
            for piece in resampler.resample(None):  # flush the resampler's tail
                x = piece.to_ndarray().astype(np.float32, copy=False)
                lo, hi = n_done, n_done + x.shape[1]
                n_done = hi
                a, b = max(lo, emitted + n_pending), hi if stop is None else min(hi, stop)
                if b > a:
                    pending.append(x[:, a - lo : b - lo])
                    n_pending += b - a
    except av.error.FFmpegError as exc:
        if not n_done:
            raise AudioReadError(
                f"{path}: its sound track cannot be decoded (corrupt audio: {exc})"
            ) from exc
        raise AudioReadError(
            f"{path}: the sound track breaks after {n_done / rate:.2f} s (corrupt audio: {exc})"
        ) from exc
    if not n_done and not seek:  # a stream that yields nothing is junk, never silence
        raise AudioReadError(
            f"{path}: its sound track cannot be decoded (its {info.codec or 'audio'} stream "
            "gives no sound: corrupt, cut or not audio)"
        )
    if n_pending and t0 is not None:
        yield AudioChunk(t0 + emitted / rate, out(np.concatenate(pending, axis=1)))


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
