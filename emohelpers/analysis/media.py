"""Checking and opening a media file with PyAV: shared by the video reader
(`analysis.video`) and the sound-track reader (`analysis.voice.audio`).

Each caller passes its own error class and words, so that a user reads "expected a video
file" from the video side and "expected an audio or video file" from the voice side.
"""

from __future__ import annotations

import stat
from pathlib import Path

import av

from emohelpers.core.errors import EmoError

#: What a path that is not a regular file is, for messages.
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_media_file(path: str | Path, error: type[EmoError], expected: str) -> Path:
    """Check that `path` is an existing, non-empty file; return it as a Path.

    Args:
        path: the file.
        error: the error class to raise (e.g. `VideoReadError`).
        expected: what the file should be, for messages, e.g. "a video file".

    Raises:
        error: the file is missing, a directory, not a regular file (a FIFO, a device, a
            socket: said which) or empty (0 bytes).
    """
    p = Path(path)
    if not p.exists():
        raise error(f"{p}: no such file; check the path")
    if p.is_dir():
        raise error(f"{p}: is a directory, expected {expected}")
    mode = p.stat().st_mode
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _KINDS if test(mode)), "a special file")
        raise error(f"{p}: is {kind}, not a regular file; expected {expected}")
    if p.stat().st_size == 0:
        raise error(f"{p}: the file is empty (0 bytes)")
    return p


def open_media(path: Path, error: type[EmoError], what: str) -> av.container.InputContainer:
    """Open `path` with PyAV; the caller closes the container.

    Args:
        path: a file checked by `check_media_file`.
        error: the error class to raise.
        what: what the file is read as, for messages, e.g. "a video".

    Raises:
        error: PyAV cannot open the file (corrupt or unsupported format).
    """
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise error(
            f"{path}: cannot be read as {what} (corrupt or unsupported format: {exc})"
        ) from exc
