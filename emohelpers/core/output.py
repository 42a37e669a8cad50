"""Output folders checked before any work starts: one place for every command that writes.

`ensure_out_dir` makes the folder (and its parents) and proves it writable with a probe
file, so that a bad `--out` fails in a fraction of a second with one line naming the path
and the problem, instead of with a traceback after minutes of analysis.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from emohelpers.core.errors import OutputError

_FIX = "fix: choose another --out folder"


def _reason(exc: OSError) -> str:
    """The problem in words: the system's message, or a clearer one for common cases."""
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "no such folder (or a virtual file system such as /proc)"
    return exc.strerror or str(exc)


def _file_in_the_way(path: Path) -> Path | None:
    """`path` itself or its nearest existing ancestor when that is not a folder."""
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def ensure_out_dir(path: str | os.PathLike) -> Path:
    """Make the output folder `path` (with its parents) and check that files can be written.

    Args:
        path: the output folder.

    Returns:
        The folder, as a `Path` (as given, not resolved).

    Raises:
        OutputError: when `path` or one of its parents is a file, or the folder cannot be
            created or written (read-only file system, permissions, /proc, /sys...); the
            message names the path and the problem.
    """
    out = Path(path)
    blocker = _file_in_the_way(out)
    if blocker is not None:
        what = "is a file, not a folder" if blocker == out else f"is below a file ({blocker})"
        raise OutputError(f"{out}: {what}; {_FIX}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: the folder cannot be created: {_reason(exc)}; {_FIX}") from exc
    try:
        fd, probe = tempfile.mkstemp(prefix=".emohelpers-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{out}: no file can be written there: {_reason(exc)}; {_FIX}") from exc
    return out
