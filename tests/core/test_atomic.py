"""Files written whole or not at all (`core.atomic`) and one run per folder (`folder_lock`)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emohelpers.core.atomic import (
    atomic_path,
    atomic_write,
    atomic_write_json,
    is_temporary,
    temporary_path,
)
from emohelpers.core.errors import OutputError
from emohelpers.core.folder_lock import LOCK_FILE, folder_lock, is_locked, read_lock


def test_text_bytes_json_and_writer_functions(tmp_path):
    assert atomic_write(tmp_path / "a" / "t.txt", "héllo\n").read_text("utf-8") == "héllo\n"
    assert atomic_write(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert json.loads(atomic_write_json(tmp_path / "c.json", {"x": Path("p")}).read_text()) == {
        "x": "p"
    }
    # Writers that choose the format (or add an extension) by the name get the real suffix.
    atomic_write(tmp_path / "d.npz", lambda p: np.savez(p, a=np.arange(3)))
    with np.load(tmp_path / "d.npz") as z:
        assert z["a"].tolist() == [0, 1, 2]
    atomic_write(tmp_path / "e.jpg", lambda p: Image.new("RGB", (4, 4)).save(p))
    assert Image.open(tmp_path / "e.jpg").format == "JPEG"
    names = sorted(p.name for p in tmp_path.rglob("*"))
    assert names == ["a", "b.bin", "c.json", "d.npz", "e.jpg", "t.txt"]


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt(), ValueError("bad")],
)
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, failure):
    target = atomic_write(tmp_path / "table.parquet", b"old")
    seen = []

    def writer(path: Path) -> None:
        seen.append(path)
        path.write_bytes(b"half of the new")
        raise failure

    with pytest.raises(type(failure)):
        atomic_write(target, writer)
    assert target.read_bytes() == b"old"
    assert seen and not seen[0].exists() and os.listdir(tmp_path) == ["table.parquet"]


def test_a_block_that_writes_nothing_fails_and_keeps_the_target(tmp_path):
    target = atomic_write(tmp_path / "x.txt", "old")
    with pytest.raises(FileNotFoundError), atomic_path(target):
        pass
    assert target.read_text() == "old"


def test_temporary_names_are_unique_hidden_and_recognised(tmp_path):
    names = {temporary_path(tmp_path / "emotions.parquet").name for _ in range(200)}
    assert len(names) == 200
    name = names.pop()
    assert name.startswith(".emotions.") and name.endswith(".tmp.parquet")
    assert str(os.getpid()) in name and is_temporary(name)
    assert not is_temporary("emotions.parquet") and not is_temporary(".emotions.parquet.tmp")


def test_concurrent_writers_never_share_a_temporary_name(tmp_path):
    target = tmp_path / "shared.txt"
    used: list[Path] = []
    lock = threading.Lock()

    def write(k: int) -> None:
        for i in range(20):

            def writer(path: Path, k=k, i=i) -> None:
                with lock:
                    used.append(path)
                path.write_text(f"{k}-{i}\n" * 1000)

            atomic_write(target, writer)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(used)) == len(used) == 80
    lines = set(target.read_text().splitlines())
    assert len(lines) == 1  # one writer's whole file
    assert os.listdir(tmp_path) == ["shared.txt"]


_WRITER = """
import sys
from emohelpers.core.atomic import atomic_write
for i in range(200):
    atomic_write(sys.argv[1], (sys.argv[2] + "\\n") * 2000)
"""


def test_two_processes_writing_one_file_leave_one_whole_version(tmp_path):
    target = tmp_path / "out.txt"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(target), tag]) for tag in "ab"]
    seen = set()
    while any(p.poll() is None for p in procs):
        if target.exists():
            lines = target.read_text().splitlines()
            assert len(lines) == 2000 and len(set(lines)) == 1  # never half of one
            seen.add(lines[0])
    assert [p.wait() for p in procs] == [0, 0]
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_folder_in_use_is_refused_with_one_line_and_freed_after(tmp_path):
    with folder_lock(tmp_path / "out") as out:
        owner = read_lock(out)
        assert owner["pid"] == os.getpid() and is_locked(out)
        with pytest.raises(OutputError) as err, folder_lock(out):
            pass
        message = str(err.value)
        assert "\n" not in message and f"pid {os.getpid()}" in message
        assert str(out) in message and "in use by another emohelpers run" in message
    assert not (tmp_path / "out" / LOCK_FILE).exists() and not is_locked(tmp_path / "out")


def test_a_lock_of_a_dead_process_is_taken_over_with_its_temporaries(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    with folder_lock(tmp_path):
        lock = json.loads((tmp_path / LOCK_FILE).read_text())
    (tmp_path / LOCK_FILE).write_text(json.dumps({**lock, "pid": pid}))
    left = tmp_path / f".emotions.{pid}-0123abcd.tmp.parquet"
    left.write_bytes(b"half")
    (tmp_path / "emotions.parquet").write_bytes(b"kept")
    assert not is_locked(tmp_path)
    with folder_lock(tmp_path):
        assert read_lock(tmp_path)["pid"] == os.getpid()
        assert not left.exists() and (tmp_path / "emotions.parquet").read_bytes() == b"kept"
    assert sorted(os.listdir(tmp_path)) == ["emotions.parquet"]


def test_a_lock_of_another_host_is_never_taken_over(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
    with pytest.raises(OutputError, match="pid 1 on elsewhere"), folder_lock(tmp_path):
        pass
    assert (tmp_path / LOCK_FILE).exists()
