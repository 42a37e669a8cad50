"""One video file, opened once: the one reader of every part of the package.

`VideoSource` owns the PyAV container, the decoder set-up (threads, bounded for large
frames), rotation (frames come out upright, as players show them) and THE CLOCK: every time
it gives is a presentation time minus the container's start time, what a player shows. A
clip whose video starts 0.85 s after its sound has its first frame at 0.85 s and its first
sound at 0 s, in the table, the voice windows, the reels and the annotated video alike.

It reads frames sequentially (sampled, in a time range: the analysis, the annotated video),
the pictures shown at given times (reels, segments with sound), frames by source index (seek,
decode forward, a small cache: `seek.IndexedFrames`, for the report, the explainer and the
explorer), the sound track (`voice.audio.decode_audio`) and thumbnails. Each read takes the
one container, rewinding or seeking it first; a read while another is still running (a
sequential pass in the decoder thread) opens a second container for itself.

`shared.shared_source(path)` keeps a few sources open per process, so that one report
(analysis, sections, reels, annotated video) opens its clip once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from emohelpers.analysis.media import check_media_file, open_media
from emohelpers.analysis.seek import IndexedFrames, frames_at
from emohelpers.analysis.video_types import (
    LARGE_FRAME_PX,
    LARGE_FRAME_THREADS,
    DecodeStatus,
    Frame,
    Sampler,
    VideoInfo,
    ends_early,
    upright,
)
from emohelpers.analysis.voice.audio import AudioChunk, AudioInfo, audio_info, decode_audio
from emohelpers.core.errors import VideoReadError

log = logging.getLogger(__name__)


def _set_up_decoder(stream: av.video.stream.VideoStream) -> None:
    stream.thread_type = "AUTO"
    cc = stream.codec_context
    if cc.width * cc.height > LARGE_FRAME_PX:
        # Each frame thread holds frames of its own: bounded on many-core machines.
        cc.thread_count = min(os.cpu_count() or 1, LARGE_FRAME_THREADS)


class VideoSource:
    """One video file (see the module docstring).

    Args:
        path: the video file.

    Attributes:
        path: the file.
        origin_s: the container's start time on the file's own timeline, seconds: the zero
            of every time this source gives.
        time_base: the video stream's time base, seconds per pts tick.
        rate: the video stream's average frame rate, frames per second (0: unknown).
        opens: class attribute, file path -> how many times this process opened it.

    Raises:
        VideoReadError: a missing, empty or corrupt file, or one without a video stream.
    """

    opens: Counter[Path] = Counter()

    def __init__(self, path: str | Path) -> None:
        self.path = check_media_file(path, VideoReadError, "a video file")
        self._container = self._open()
        stream = self._container.streams.video[0]
        start = self._container.start_time
        self.origin_s = start / 1e6 if start is not None else 0.0
        self.time_base: Fraction | None = stream.time_base
        self.rate = float(stream.average_rate or stream.guessed_rate or 0)
        self._stream_start = stream.start_time if stream.start_time is not None else 0
        self._lock = threading.Lock()
        self.epoch = 0  # counts the reads that moved the container (invalidates positions)
        self._moved = False  # whether the own container was read since it was opened
        self._info: VideoInfo | None = None
        self._index: IndexedFrames | None = None

    def _open(self) -> av.container.InputContainer:
        container = open_media(self.path, VideoReadError, "a video")
        VideoSource.opens[self.path.resolve()] += 1
        if not container.streams.video:
            container.close()
            raise VideoReadError(f"{self.path}: has no video stream (audio only or not a video)")
        _set_up_decoder(container.streams.video[0])
        return container

    @classmethod
    def open_count(cls, path: str | Path) -> int:
        """How many times this process opened `path` through a source."""
        return cls.opens[Path(path).resolve()]

    # --- the container ---------------------------------------------------------------------

    @contextmanager
    def container(self) -> Iterator[av.container.InputContainer]:
        """The container for one read: this source's own, or a second one while another
        read still holds it (a sequential pass in a decoder thread)."""
        if self._lock.acquire(blocking=False):
            try:
                self.epoch += 1
                yield self._container
            finally:
                self._lock.release()
            return
        extra = self._open()
        try:
            yield extra
        finally:
            extra.close()

    def owns(self, container: av.container.InputContainer) -> bool:
        """Whether `container` is this source's own (not a second one for a busy source)."""
        return container is self._container

    def mark_moved(self, container: av.container.InputContainer) -> None:
        """Note that a read seeked `container` (the next sequential read rewinds it)."""
        if container is self._container:
            self._moved = True

    def rewind(self, container: av.container.InputContainer, stream) -> None:
        """Put `container` back at the start of `stream` (nothing to do on a fresh one)."""
        if container is not self._container:
            return
        if self._moved:
            start = stream.start_time if stream.start_time is not None else 0
            container.seek(start, stream=stream, backward=True)
        self._moved = True

    def close(self) -> None:
        """Close the file; reading again afterwards raises."""
        self._container.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the clock -------------------------------------------------------------------------

    def seconds(self, pts: int | None, index: int = 0) -> float:
        """A video timestamp on the player's clock, seconds (by frame count without one)."""
        if pts is None or self.time_base is None:
            return self.seconds(self._stream_start) + index / (self.rate or 1.0)
        return float(pts * self.time_base) - self.origin_s

    # --- what the file is ------------------------------------------------------------------

    @property
    def info(self) -> VideoInfo:
        """What the file is; decodes its first frame once to prove it is readable.

        Raises:
            VideoReadError: no frame can be decoded.
        """
        if self._info is None:
            with self.container() as container:
                self._info = self._probe(container)
        return self._info

    def _probe(self, container: av.container.InputContainer) -> VideoInfo:
        stream = container.streams.video[0]
        self.rewind(container, stream)
        try:
            first = next(container.decode(stream))
        except (av.error.FFmpegError, StopIteration) as exc:
            raise VideoReadError(
                f"{self.path}: no frame could be decoded (corrupt video: {exc})"
            ) from exc
        rotation = int(round((first.rotation or 0) / 90.0)) * 90 % 360
        w, h = first.width, first.height
        if rotation in (90, 270):
            w, h = h, w
        duration = self._claimed_duration(container) - self.seconds(self._stream_start)
        n_frames = int(stream.frames) or (int(round(duration * self.rate)) if self.rate else 0)
        return VideoInfo(
            path=self.path,
            width=w,
            height=h,
            fps=self.rate,
            n_frames=n_frames,
            duration_s=duration,
            rotation=rotation,
            has_audio=bool(container.streams.audio),
            codec=stream.codec_context.name,
            size_bytes=self.path.stat().st_size,
            start_s=self.seconds(first.pts, 0),
        )

    def _claimed_duration(self, container: av.container.InputContainer) -> float:
        """Where the video stream ends as the container claims, on the clock (0: unknown)."""
        stream = container.streams.video[0]
        if stream.duration is not None and self.time_base is not None:
            return self.seconds(self._stream_start + stream.duration)
        if container.duration is not None:
            return container.duration / av.time_base
        return 0.0

    @property
    def end_s(self) -> float:
        """When the video ends, seconds on the clock (its start plus its duration)."""
        return self.info.start_s + self.info.duration_s if self.info.duration_s else 0.0

    # --- sequential frames -----------------------------------------------------------------

    def frames(
        self,
        every_n: int | None = None,
        fps: float | None = None,
        *,
        start_s: float | None = None,
        end_s: float | None = None,
        status: DecodeStatus | None = None,
        shots=None,
    ) -> Iterator[Frame]:
        """Decode, sample and convert the frames from the start (see `video.iter_frames`).

        A decoder error after the first frame, or a last frame short of the claimed end,
        marks `status` truncated and logs one warning: the frames decoded so far stand.
        """
        status = DecodeStatus() if status is None else status
        index, shot, reached_end = -1, 0, False
        with self.container() as container:
            try:
                stream = container.streams.video[0]
                self.rewind(container, stream)
                status.claimed_s = self._claimed_duration(container)
                sampler = Sampler(every_n, fps)
                try:
                    for frame in container.decode(stream):
                        index += 1
                        time_s = self.seconds(frame.pts, index)
                        if end_s is not None and time_s >= end_s:
                            reached_end = True
                            break
                        status.frames_decoded = index + 1
                        status.decoded_until_s = time_s
                        if start_s is not None and time_s < start_s - 5e-7:
                            continue
                        if shots is not None:  # every decoded frame, so no cut is missed
                            shot = shots.update(frame, index, time_s)
                        if sampler.keep(index, time_s):
                            yield Frame(index, time_s, upright(frame), shot)
                except av.error.FFmpegError as exc:
                    if index < 0:
                        raise
                    status.truncated = True
                    status.reason = f"decoding failed after frame {index} ({exc})"
            except av.error.FFmpegError as exc:
                raise VideoReadError(
                    f"{self.path}: decoding failed after frame {index} (corrupt: {exc})"
                ) from exc
        if not (status.truncated or reached_end) and ends_early(
            status.decoded_until_s, status.claimed_s, self.rate, end_s
        ):
            status.truncated = True
            status.reason = (
                f"its last frame is at {status.decoded_until_s:.2f} s of the "
                f"{status.claimed_s:.2f} s its container claims"
            )
        if status.truncated:
            until = status.decoded_until_s or 0.0
            log.warning(
                "%s: the video ends early, truncated or damaged: %s; only its first "
                "%.2f s are analysed",
                self.path.name,
                status.reason,
                until,
            )

    def frames_at(self, times_s: Sequence[float] | np.ndarray) -> Iterator[np.ndarray]:
        """The picture shown at each of these increasing times, seconds (see
        `seek.frames_at`): what the reels and the segments with sound show."""
        return frames_at(self, times_s)

    # --- frames by index -------------------------------------------------------------------

    @property
    def indexed(self) -> IndexedFrames:
        """Frames by source index (the packet index is built on first use)."""
        if self._index is None:
            self._index = IndexedFrames(self)
        return self._index

    def read(self, indices: Iterable[int]) -> dict[int, np.ndarray]:
        """Frames of these source indices (see `IndexedFrames.read`)."""
        return self.indexed.read(indices)

    def thumbnail(
        self,
        index: int = 0,
        width: int = 200,
        draw: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray | None:
        """(h, width, 3) uint8 RGB of a frame (`draw` applied at full size, e.g. face
        boxes) scaled to `width` pixels; None when the index is not in the video."""
        rgb = self.read([index]).get(index)
        if rgb is None:
            return None
        image = Image.fromarray(draw(rgb) if draw is not None else rgb)
        size = (width, max(1, round(image.height * width / image.width)))
        return np.asarray(image.resize(size))

    # --- sound -----------------------------------------------------------------------------

    def audio_info(self) -> AudioInfo:
        """What the sound track is (`has_audio` False without one); on this clock."""
        with self.container() as container:
            return audio_info(self.path, container)

    def audio(
        self,
        chunk_s: float = 10.0,
        *,
        start_s: float | None = None,
        end_s: float | None = None,
        rate: int = 16000,
        layout: str = "mono",
        seek: bool = False,
    ) -> Iterator[AudioChunk]:
        """The sound track, resampled, in chunks on this clock (`voice.audio.decode_audio`).

        Raises:
            AudioReadError: the sound track breaks while decoding.
        """
        if seek or not self._moved:
            with self.container() as container:
                self.mark_moved(container)
                yield from decode_audio(
                    self.path,
                    container,
                    chunk_s,
                    start_s=start_s,
                    end_s=end_s,
                    rate=rate,
                    layout=layout,
                    seek=seek,
                )
            return
        # From the start, a decoder must start fresh: after a seek to the first packet an
        # AAC decoder lacks its pre-roll and its first 0.2 s differ from a fresh decode.
        container = self._open()
        try:
            yield from decode_audio(
                self.path,
                container,
                chunk_s,
                start_s=start_s,
                end_s=end_s,
                rate=rate,
                layout=layout,
            )
        finally:
            container.close()
