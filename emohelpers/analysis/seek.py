"""Frames by source index (the packet index, seeking, decoding forward, a small cache) and
the pictures shown at given times (`frames_at`), for a `source.VideoSource`.

The packets of the video stream are indexed once (demuxing only, no decoding: ~0.1 s for 10
minutes of video); the frame of a source index is then found by seeking to the nearest key
frame at or before it and decoding forward. Frame `i` is the i-th frame the decoder outputs
in presentation order (packets an edit list discards are not frames), as in the sequential
reading of `source.VideoSource.frames`, and times are on the same clock.

A small LRU cache keeps the last frames read, and reading goes forward without seeking when
the next frame asked for is in the group of pictures being decoded, so that a sorted batch
of indices is one forward pass that skips the groups it does not need.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
import numpy as np

from emohelpers.analysis.video_types import upright
from emohelpers.core.errors import VideoReadError

log = logging.getLogger(__name__)


class Source(Protocol):
    """What the index needs of its `source.VideoSource`."""

    path: Path
    epoch: int
    origin_s: float
    time_base: Fraction | None

    def container(self) -> AbstractContextManager[av.container.InputContainer]: ...
    def owns(self, container: av.container.InputContainer) -> bool: ...
    def mark_moved(self, container: av.container.InputContainer) -> None: ...
    def rewind(self, container: av.container.InputContainer, stream) -> None: ...
    def seconds(self, pts: int | None, index: int = 0) -> float: ...


#: Frames kept by default: 32 frames of 640x360 RGB are ~22 MB.
DEFAULT_CACHE_FRAMES = 32


class IndexedFrames:
    """Random access to the frames of one `VideoSource` by source frame index.

    Args:
        source: the open source.
        cache_frames: decoded frames kept (least recently used dropped first); 0 keeps none.

    Attributes:
        times_s: (n,) float64 presentation time of each frame, seconds on the source's clock.
        key_frames: (k,) int64 indices of the key frames, ascending.

    Raises:
        VideoReadError: when the packets cannot be indexed.
    """

    def __init__(self, source: Source, cache_frames: int = DEFAULT_CACHE_FRAMES) -> None:
        self.source = source
        self.cache_frames = int(cache_frames)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._frames: Iterator[av.VideoFrame] | None = None
        self._pos: int | None = None  # index of the next frame `_frames` yields, when known
        self._epoch = -1  # the source's epoch of the last read (another read moves it)
        try:
            with source.container() as container:
                self._index_packets(container)
        except av.error.FFmpegError as exc:
            raise VideoReadError(f"{source.path}: cannot index its video packets ({exc})") from exc

    def _index_packets(self, container: av.container.InputContainer) -> None:
        """Presentation timestamps and key frames from the packets (demuxing, no decoding)."""
        stream = container.streams.video[0]
        self.source.rewind(container, stream)
        pts, keys = [], []
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:
                continue  # flush packets, and frames an edit list drops: the decoder skips them
            pts.append(packet.pts)
            keys.append(packet.is_keyframe)
        # Without timestamps on every packet frames are found by counting from the start.
        self._seekable = bool(pts) and all(p is not None for p in pts)
        if self._seekable:
            order = np.argsort(np.asarray(pts, dtype=np.int64), kind="stable")
            self._pts = np.asarray(pts, dtype=np.int64)[order]
            key_pts = np.asarray(pts, dtype=np.int64)[np.asarray(keys, dtype=bool)]
            self.key_frames = np.unique(np.searchsorted(self._pts, key_pts))
            if self.key_frames.size == 0 or self.key_frames[0] != 0:
                self.key_frames = np.union1d([0], self.key_frames).astype(np.int64)
            self._index_of = {int(p): i for i, p in enumerate(self._pts)}
            self.times_s = np.array([self.source.seconds(int(p)) for p in self._pts])
        else:
            self._pts = np.zeros(len(pts), dtype=np.int64)
            self.key_frames = np.zeros(1, dtype=np.int64)
            self._index_of = {}
            self.times_s = np.array([self.source.seconds(None, i) for i in range(len(pts))])
            log.info(
                "%s: packets without timestamps; frames are read from the start", self.source.path
            )

    def __len__(self) -> int:
        """Number of frames in the video."""
        return len(self.times_s)

    def index_at(self, time_s: float) -> int:
        """The index of the frame shown at `time_s` seconds (the last one starting at or
        before it; 0 before the first frame)."""
        i = int(np.searchsorted(self.times_s, time_s + 5e-7, side="right")) - 1
        return min(max(i, 0), len(self) - 1)

    def read(self, indices: Iterable[int]) -> dict[int, np.ndarray]:
        """The frames of several source indices, decoded in one forward pass.

        Args:
            indices: source frame indices, any order, repeats allowed.

        Returns:
            Index -> (h, w, 3) uint8 RGB (do not modify: it may be the cached array);
            indices outside the video are missing.

        Raises:
            VideoReadError: when the file cannot be decoded up to a wanted frame.
        """
        wanted = sorted({int(i) for i in indices if 0 <= int(i) < len(self)})
        out: dict[int, np.ndarray] = {}
        with self._lock:
            todo = []
            for i in wanted:
                if i in self._cache:
                    self._cache.move_to_end(i)
                    out[i] = self._cache[i]
                else:
                    todo.append(i)
            if todo:
                with self.source.container() as container:
                    own = self.source.owns(container)
                    if not own or self.source.epoch != self._epoch + 1:
                        self._frames, self._pos = None, None  # moved by another read
                    self._container, self._stream = container, container.streams.video[0]
                    try:
                        self._decode(todo, out)
                    finally:
                        self._epoch = self.source.epoch if own else -1
                        if not own:
                            self._frames, self._pos = None, None
        return out

    # --- decoding ---------------------------------------------------------------------------

    def _rewind(self) -> None:
        """Decode from the first frame again."""
        start = self._stream.start_time if self._stream.start_time is not None else 0
        self._container.seek(start, stream=self._stream, backward=True)
        self._frames = self._container.decode(self._stream)
        self._pos = 0

    def _seek_to_key(self, key: int) -> None:
        """Seek so that decoding resumes at key frame `key` (or earlier)."""
        if key == 0 or not self._seekable:
            self._rewind()
            return
        self._container.seek(int(self._pts[key]), stream=self._stream, backward=True)
        self._frames = self._container.decode(self._stream)
        self._pos = None  # known again from the next frame's timestamp

    def _key_before(self, index: int) -> int:
        return int(self.key_frames[np.searchsorted(self.key_frames, index, side="right") - 1])

    def _decode(self, todo: list[int], out: dict[int, np.ndarray]) -> None:
        """Decode the sorted indices `todo` into `out` (and the cache)."""
        remaining = list(todo)
        retried: set[int] = set()
        path = self.source.path
        try:
            while remaining:
                target = remaining[0]
                key = self._key_before(target)
                if self._pos is None or not (key <= self._pos <= target):
                    self._seek_to_key(key)
                got = self._decode_until(remaining, out)
                if not got:  # the seek landed after the target: start further back once
                    if target in retried or not self._seekable:
                        raise VideoReadError(
                            f"{path}: frame {target} could not be decoded (corrupt or "
                            "truncated file); check it with ffprobe"
                        )
                    retried.add(target)
                    self._rewind()
                    got = self._decode_until(remaining, out)
                remaining = [i for i in remaining if i not in out]
        except av.error.FFmpegError as exc:
            self._frames, self._pos = None, None
            raise VideoReadError(f"{path}: decoding failed near frame {todo[0]} ({exc})") from exc

    def _decode_until(self, remaining: list[int], out: dict[int, np.ndarray]) -> bool:
        """Decode forward from the current position, keeping the frames in `remaining`,
        until the first of them is kept and the next one needs a seek (or the end).

        Returns:
            Whether the first index of `remaining` was kept.
        """
        wanted = set(remaining)
        first, last = remaining[0], remaining[-1]
        assert self._frames is not None
        for frame in self._frames:
            if self._seekable and frame.pts is not None and int(frame.pts) in self._index_of:
                index = self._index_of[int(frame.pts)]
            elif self._pos is not None:
                index = self._pos
            else:
                continue  # no timestamp right after a seek: the position is unknown
            self._pos = index + 1
            if index > first and first not in out:
                return False
            if index in wanted:
                rgb = upright(frame)
                out[index] = rgb
                self._remember(index, rgb)
                pending = [i for i in remaining if i not in out]
                if not pending:
                    return True
                # Seek when the next wanted frame is beyond the next key frame.
                if self._key_before(pending[0]) > self._pos:
                    return True
            if index >= last:
                return first in out
        self._pos = None  # the end of the stream
        self._frames = None
        return first in out

    def _remember(self, index: int, rgb: np.ndarray) -> None:
        if not self.cache_frames:
            return
        self._cache[index] = rgb
        self._cache.move_to_end(index)
        while len(self._cache) > self.cache_frames:
            self._cache.popitem(last=False)


def frames_at(source: Source, times_s: Sequence[float] | np.ndarray) -> Iterator[np.ndarray]:
    """The picture shown at each of these increasing times, seconds: the last frame
    starting at or before it (the first frame before the video starts), seeking first.

    Yields:
        One (h, w, 3) uint8 upright RGB per time (the same array for repeats).

    Raises:
        VideoReadError: the file cannot be decoded there.
    """
    if not len(times_s):
        return
    with source.container() as container:
        stream = container.streams.video[0]
        first = float(times_s[0])
        if source.time_base is not None and first > 0.5:
            at = int((first - 0.5 + source.origin_s) / source.time_base)
            container.seek(at, stream=stream, backward=True)
            source.mark_moved(container)
        else:
            source.rewind(container, stream)
        k, shown, rgb = 0, None, None
        try:
            for i, frame in enumerate(container.decode(stream)):
                t = source.seconds(frame.pts, i)
                while k < len(times_s) and t > times_s[k] + 5e-7:
                    if rgb is None:  # before the first frame: show the first
                        rgb = upright(frame if shown is None else shown)
                    yield rgb
                    k += 1
                if k == len(times_s):
                    return
                shown, rgb = frame, None
        except av.error.FFmpegError as exc:
            raise VideoReadError(
                f"{source.path}: decoding failed near {first:.2f} s ({exc})"
            ) from exc
        if shown is not None:  # after the last frame: it stays on screen
            last = upright(shown) if rgb is None else rgb
            for _ in range(k, len(times_s)):
                yield last
