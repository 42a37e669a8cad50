"""The one media check says what a path that is not a regular file is (a FIFO, a
character device, a socket), never "the file is empty"."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from emohelpers.analysis.media import check_media_file
from emohelpers.core.errors import AudioReadError, VideoReadError


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.mp4"
    os.mkfifo(path)
    return path


def _socket(tmp_path: Path) -> Path:
    path = tmp_path / "sock.mp4"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_fifo, "a FIFO (named pipe), not a regular file"),
        (lambda _: Path("/dev/zero"), "a character device, not a regular file"),
        (_socket, "a socket, not a regular file"),
    ],
)
@pytest.mark.parametrize("error", [VideoReadError, AudioReadError])
def test_not_a_regular_file_is_named(make, words, error, tmp_path):
    path = make(tmp_path)
    with pytest.raises(error, match=re.escape(words)) as info:
        check_media_file(path, error, "a video file")
    assert "empty" not in str(info.value)


def test_analyze_on_a_fifo_says_so(tmp_path):
    fifo = _fifo(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", "analyze", str(fifo), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1
    assert "FIFO" in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
