"""One run per output folder: a lock file naming its owner, refused with one line.

`folder_lock(folder)` creates `folder/.emohelpers.lock` (its content: the owner's pid, host
and start time, written whole before the file appears) for the duration of a block, and
removes it after. A second run into the same folder gets an `OutputError` naming the owner.
A lock left by a process that died (killed, crashed) on this host is taken over, and the
temporary files it left are removed. Locks of other hosts are never taken over (their
processes cannot be seen from here); remove such a file by hand when its run is gone.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: lock checks are not ordered between runs
    fcntl = None  # type: ignore[assignment]

from emohelpers.core.atomic import remove_temporaries, temporary_path
from emohelpers.core.errors import OutputError

LOCK_FILE = ".emohelpers.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def read_lock(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The lock's owner (`pid`, `host`, `started_utc`, `token`), or None without a lock."""
    try:
        data = json.loads((Path(folder) / LOCK_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable: owner unknown
    return data if isinstance(data, dict) else {}


def _stale(owner: dict[str, Any]) -> bool:
    """A lock of a dead process on this host (an unreadable one counts as live)."""
    pid = owner.get("pid")
    return owner.get("host") == socket.gethostname() and isinstance(pid, int) and not _alive(pid)


@contextmanager
def _serialised(folder: Path) -> Iterator[None]:
    # Checking a lock and taking a stale one over must not interleave between two runs on
    # this host: an advisory lock on the folder itself orders them (no extra file).
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _create(path: Path, owner: dict[str, Any]) -> bool:
    """Create the lock file with its whole content; False when one exists."""
    tmp = temporary_path(path)
    tmp.write_text(json.dumps(owner) + "\n", encoding="utf-8")
    try:
        os.link(tmp, path)  # fails when `path` exists: creation and content in one step
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: exclusive creation, then content
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(owner) + "\n")
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _refusal(folder: Path, owner: dict[str, Any]) -> OutputError:
    if owner:
        who = f"pid {owner.get('pid')} on {owner.get('host')}, since {owner.get('started_utc')}"
    else:
        who = "owner unknown"
    return OutputError(
        f"{folder}: in use by another emohelpers run ({who}); fix: wait for it to finish, "
        f"choose another --out folder, or delete {folder / LOCK_FILE} if that run is gone"
    )


@contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold `folder`'s lock for the block (the folder is created when missing).

    Yields:
        The folder.

    Raises:
        OutputError: when another live run holds the folder (also another block of this
            process: a folder is never shared).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    owner = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "token": os.urandom(8).hex(),
    }
    with _serialised(out):
        if not _create(path, owner):
            held = read_lock(out) or {}
            if not _stale(held):
                raise _refusal(out, held)
            path.unlink(missing_ok=True)  # a dead run's: taken over
            if not _create(path, owner):
                raise _refusal(out, read_lock(out) or {})
        remove_temporaries(out)  # left by killed writers: nobody else writes here now
    try:
        yield out
    finally:
        if (read_lock(out) or {}).get("token") == owner["token"]:
            with suppress(OSError):
                path.unlink()


def is_locked(folder: str | os.PathLike) -> bool:
    """Whether a live run holds `folder` (a stale lock does not count)."""
    owner = read_lock(folder)
    return owner is not None and not _stale(owner)
