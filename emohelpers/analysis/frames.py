"""Frame access by source frame index: one reader that seeks, for the report, the explainer
and the explorer.

`iter_frames` streams a clip from the start; scrubbing, key frames of a report and the faces
to explain need single frames anywhere in the clip. `FrameReader` indexes the file's video
packets once (demuxing only, no decoding: ~0.1 s for 10 minutes of video), then returns the
frame of a source index by seeking to the nearest key frame at or before it and decoding
forward. Indices, times and rotation are those of `iter_frames`: frame `i` is the i-th frame
the decoder outputs in presentation order (packets an edit list discards are not frames).

A small LRU cache keeps the last frames read, and a reader reads forward without seeking
when the next frame asked for is in the group of pictures being decoded, so that a sorted
batch of indices (`read_frames`) is one forward pass that skips the groups it does not need.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np

from emohelpers.analysis.video import (
    LARGE_FRAME_PX,
    LARGE_FRAME_THREADS,
    _check_file,
    _open,
    _stream_start,
)
from emohelpers.core.errors import ParameterError, VideoReadError

log = logging.getLogger(__name__)

#: Frames kept by default: 32 frames of 640x360 RGB are ~22 MB.
DEFAULT_CACHE_FRAMES = 32


def _upright(frame: av.VideoFrame) -> np.ndarray:
    """(h, w, 3) uint8 RGB of a decoded frame, rotated as `iter_frames` rotates it."""
    rgb = frame.to_ndarray(format="rgb24")
    k = int(round((frame.rotation or 0) / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


class FrameReader:
    """Random access to the frames of one video file by source frame index.

    Args:
        video: the video file.
        cache_frames: decoded frames kept (least recently used dropped first); 0 keeps none.

    Attributes:
        path: the file.
        times_s: (n,) float64 presentation time of each frame, seconds from the stream start
            (the `time_s` of `iter_frames` and of the emotion table).
        key_frames: (k,) int64 indices of the key frames, ascending.

    Raises:
        VideoReadError: for a missing, empty, corrupt file or one without a video stream.

    Example:
        >>> with FrameReader("clip.mp4") as reader:
        ...     rgb = reader.frame(120)          # (h, w, 3) uint8
        ...     batch = reader.read([3, 50, 51])  # {3: ..., 50: ..., 51: ...}
    """

    def __init__(self, video: str | Path, cache_frames: int = DEFAULT_CACHE_FRAMES) -> None:
        if int(cache_frames) != cache_frames or cache_frames < 0:
            raise ParameterError(f"cache_frames={cache_frames!r}: must be an integer >= 0")
        self.path = _check_file(video)
        self.cache_frames = int(cache_frames)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._container = _open(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        cc = self._stream.codec_context
        if cc.width * cc.height > LARGE_FRAME_PX:  # as iter_frames: bounded decoder threads
            cc.thread_count = min(os.cpu_count() or 1, LARGE_FRAME_THREADS)
        self._frames: Iterator[av.VideoFrame] | None = None
        self._pos: int | None = None  # index of the next frame `_frames` yields, when known
        try:
            self._index_packets()
        except av.error.FFmpegError as exc:
            self.close()
            raise VideoReadError(f"{self.path}: cannot index its video packets ({exc})") from exc

    def _index_packets(self) -> None:
        """Presentation timestamps and key frames from the packets (demuxing, no decoding)."""
        stream = self._stream
        pts, keys = [], []
        for packet in self._container.demux(stream):
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
            start, tb = _stream_start(stream), float(stream.time_base)
            self.times_s = (self._pts - start) * tb
        else:
            rate = float(stream.average_rate or 1)
            self._pts = np.zeros(len(pts), dtype=np.int64)
            self.key_frames = np.zeros(1, dtype=np.int64)
            self._index_of = {}
            self.times_s = np.arange(len(pts)) / rate
            log.info("%s: packets without timestamps; frames are read from the start", self.path)
        self._rewind()  # demuxing consumed the packets

    def __len__(self) -> int:
        """Number of frames in the video."""
        return len(self.times_s)

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; the reader cannot read afterwards."""
        self._frames = None
        self._container.close()

    def index_at(self, time_s: float) -> int:
        """The index of the frame shown at `time_s` seconds (the last one starting at or
        before it; 0 before the first frame)."""
        i = int(np.searchsorted(self.times_s, time_s + 5e-7, side="right")) - 1
        return min(max(i, 0), len(self) - 1)

    def frame(self, index: int) -> np.ndarray:
        """The upright RGB frame of a source index.

        Args:
            index: frame index in the source video, 0 <= index < len(reader).

        Returns:
            (h, w, 3) uint8 RGB pixels; do not modify them (they may be the cached array).

        Raises:
            ParameterError: for an index outside the video.
            VideoReadError: when the file cannot be decoded up to that frame.
        """
        index = int(index)
        if not 0 <= index < len(self):
            raise ParameterError(
                f"{self.path.name}: frame {index} is outside the video (0..{len(self) - 1})"
            )
        return self.read([index])[index]

    def read(self, indices: Iterable[int]) -> dict[int, np.ndarray]:
        """The frames of several source indices, decoded in one forward pass.

        Args:
            indices: source frame indices, any order, repeats allowed.

        Returns:
            Index -> (h, w, 3) uint8 RGB; indices outside the video are missing.

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
                self._decode(todo, out)
        return out

    # --- decoding ---------------------------------------------------------------------------

    def _rewind(self, seek: bool = True) -> None:
        """Decode from the first frame again."""
        if seek:
            self._container.seek(0, stream=self._stream)
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
                            f"{self.path}: frame {target} could not be decoded (corrupt or "
                            "truncated file); check it with ffprobe"
                        )
                    retried.add(target)
                    self._rewind()
                    got = self._decode_until(remaining, out)
                remaining = [i for i in remaining if i not in out]
        except av.error.FFmpegError as exc:
            self._frames, self._pos = None, None
            raise VideoReadError(
                f"{self.path}: decoding failed near frame {todo[0]} ({exc})"
            ) from exc

    def _decode_until(self, remaining: list[int], out: dict[int, np.ndarray]) -> bool:
        """Decode forward from the current position, keeping the frames in `remaining`,
        until the first of them is kept and the next one needs a seek (or the end).

        Returns:
            Whether the first index of `remaining` was kept.
        """
        wanted = set(remaining)
        first, last = remaining[0], remaining[-1]
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
                rgb = _upright(frame)
                out[index] = rgb
                self._remember(index, rgb)
                pending = [i for i in remaining if i not in out]
                if not pending:
                    return True
                nxt = pending[0]
                # Seek when the next wanted frame is beyond the next key frame.
                if self._key_before(nxt) > self._pos:
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


def read_frames(video: str | Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """Decode the frames with these source indices, seeking past what is not needed.

    Args:
        video: the video file.
        indices: source frame indices, any order.

    Returns:
        Frame index -> (h, w, 3) uint8 RGB (upright, as `iter_frames` gives them); indices
        not in the file are missing.

    Raises:
        VideoReadError: for an unreadable file.
    """
    indices = list(indices)
    if not indices:
        return {}
    with FrameReader(video, cache_frames=0) as reader:
        return reader.read(indices)
