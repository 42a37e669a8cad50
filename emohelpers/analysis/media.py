"""Checking and opening a media file with PyAV: shared by the video reader
(`analysis.video`) and the sound-track reader (`analysis.voice.audio`).

Each caller passes its own error class and words, so that a user reads "expected a video
file" from the video side and "expected an audio or video file" from the voice side.
"""

from __future__ import annotations

from pathlib import Path

import av

from emohelpers.core.errors import EmoError
from emohelpers.core.inputs import check_file


def check_media_file(path: str | Path, error: type[EmoError], expected: str) -> Path:
    """Check that `path` is an existing, non-empty regular file (`core.inputs.check_file`:
    missing, a directory, a FIFO or a device, or empty is `error` naming it)."""
    return check_file(path, error, expected)


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
