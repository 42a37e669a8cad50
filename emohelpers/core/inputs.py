"""Input paths checked before any work starts: a missing file, a folder where a file is
wanted, a FIFO or a device, or an empty file is one line naming the path, before a heavy
import (torch) and before any output folder is made. `analysis.media.check_media_file`
is the same check, with the media readers' own errors.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emohelpers.core.errors import EmoError, ParameterError

#: What a path that is not a regular file is, for messages.
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)

#: How a command's input argument is checked: an existing regular non-empty file; an
#: existing folder; either of the two (a file then may be empty: a batch reports it as a
#: failed clip of its own).
CHECKS = ("file", "folder", "path")


def check_file(path: str | Path, error: type[EmoError], expected: str) -> Path:
    """Check that `path` is an existing, non-empty regular file; return it as a Path.

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


def check_path(path: str | Path, check: str) -> Path:
    """One input argument's path by its `CHECKS` kind (ParameterError when it fails)."""
    p = Path(path)
    if check == "file":
        return check_file(p, ParameterError, "a file")
    if not p.exists():
        raise ParameterError(f"{p}: no such {'folder' if check == 'folder' else 'file or folder'}")
    if check == "folder" and not p.is_dir():
        raise ParameterError(f"{p}: not a folder")
    if check == "path" and not p.is_dir() and not stat.S_ISREG(p.stat().st_mode):
        check_file(p, ParameterError, "a file or a folder")  # says what it is
    return p


def check_inputs(args: Any, inputs: dict[str, str]) -> None:
    """Check a parsed command's input arguments (`inputs`: argument name -> `CHECKS` kind;
    a list argument is checked item by item, None is skipped)."""
    for name, check in inputs.items():
        value = getattr(args, name, None)
        items: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if item is not None:
                check_path(item, check)
