"""Files written whole or not at all: the one way the package writes a file.

`atomic_write(path, data)` writes `data` (text, bytes, or a writer function given a path)
under a unique temporary name beside `path`, flushes it to disk and renames it onto `path`
when complete. On any error (a full disk, a failing writer, KeyboardInterrupt) the temporary
file is removed and `path` is left as it was, so a reader sees the old file or the new one,
never half of one. The temporary name is hidden (a leading dot: dataset readers and globs
of visible files skip it), holds this process's id and a random token (two writers, in one
process or in several, never share one) and ends in the target's suffix (writers such as
PyAV, PIL or `numpy.savez` choose the format by it).

A process killed outright (SIGKILL, a power cut) can leave a temporary file behind, never a
partial target; `remove_temporaries` clears them from a folder no other run is using.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from emohelpers.core.errors import DiskFullError

#: Longest stem kept in a temporary name (file names are limited to 255 bytes).
_MAX_STEM = 180
_TEMPORARY = re.compile(r"^\..*\.(\d+)-[0-9a-f]{8}\.tmp(\.[^.]*)?$")

Writer = Callable[[Path], Any]


def temporary_path(path: str | os.PathLike) -> Path:
    """A fresh temporary name beside `path`: `.<stem>.<pid>-<token>.tmp<suffix>`."""
    target = Path(path)
    stem = target.stem[:_MAX_STEM]
    return target.with_name(f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp{target.suffix}")


def is_temporary(name: str) -> bool:
    """Whether a file name is one `temporary_path` makes."""
    return _TEMPORARY.match(name) is not None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    # The rename itself reaches the disk only with the folder's entry; not every system
    # lets a folder be opened or synced (then the rename is still atomic, only less durable).
    with suppress(OSError):
        _fsync(folder)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write `path`'s new content to, renamed onto `path` when the block
    ends without an error and removed when it raises (KeyboardInterrupt included).

    Args:
        path: the file to write; its folder must exist.

    Yields:
        The temporary path (not yet created): the block writes the whole file there.

    Raises:
        FileNotFoundError: when the block wrote nothing at the temporary path.
        DiskFullError: the disk (or the quota) is full: "no space left on device while
            writing FILE", the partial file removed.
    """
    target = Path(path)
    tmp = temporary_path(target)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        with suppress(OSError):
            tmp.unlink()
        if is_disk_full(exc):
            raise DiskFullError(disk_full_message(target)) from exc
        raise
    _fsync_folder(target.parent)


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error says the disk or the quota is full (also as pyarrow words it)."""
    if isinstance(exc, DiskFullError) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    ):
        return True
    return isinstance(exc, OSError) and "No space left on device" in str(exc)


def disk_full_message(path: str | os.PathLike) -> str:
    """The one line of a full disk."""
    return f"no space left on device while writing {path}; free some space or choose another --out"


def atomic_write(
    path: str | os.PathLike, data: str | bytes | Writer, *, encoding: str = "utf-8"
) -> Path:
    """Write `path` whole or not at all (see the module's docstring).

    Args:
        path: the file to write; its folder is created when missing.
        data: the content: text (written in `encoding`), bytes, or a function that writes
            the whole file to the path it is given (`lambda p: df.to_parquet(p)`,
            `lambda p: image.save(p, "JPEG")`, `lambda p: torch.save(obj, p)`).
        encoding: the encoding of text.

    Returns:
        `path`, as a `Path`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        if callable(data):
            data(tmp)
        else:
            raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
            with open(tmp, "xb") as f:
                f.write(raw)
    return target


def atomic_write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write `data` as indented JSON (non-JSON values as their `str`), atomically."""
    return atomic_write(path, json.dumps(data, indent=2, default=str) + "\n")


def remove_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files `atomic_write` left in `folder` (not below it) when a
    writer was killed; call it only while no other run writes there (see `folder_lock`).

    Returns:
        The files removed.
    """
    removed = []
    with suppress(OSError):
        for entry in os.scandir(os.fspath(folder)):
            if is_temporary(entry.name) and entry.is_file(follow_symlinks=False):
                with suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed
