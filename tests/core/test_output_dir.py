"""Case 1 of issue 14: an `--out` that cannot be created fails at once, in one line, for
every command that writes, before any work starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emohelpers.cli.main import main
from emohelpers.core.errors import OutputError
from emohelpers.core.output import ensure_out_dir


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.txt"
    path.write_text("not a folder\n")
    return path


@pytest.fixture
def read_only_dir(tmp_path: Path):
    """A read-only tmpfs (needs root and mount rights), else skip with the reason.

    A folder chmod 0o500 is no test as root (root writes anyway): a read-only mount is.
    """
    mnt = tmp_path / "ro"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        pytest.skip(f"cannot mount a read-only tmpfs here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_ensure_out_dir_makes_nested_folders(tmp_path: Path) -> None:
    out = ensure_out_dir(tmp_path / "a" / "b")
    assert out.is_dir() and list(out.iterdir()) == []  # the probe file is gone


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda f: f, "is a file, not a folder"),
        (lambda f: f / "sub", "is below a file"),
        (lambda f: Path("/proc/emohelpers-out"), "cannot be created"),
        (lambda f: Path("/proc"), "no file can be written there"),
        (lambda f: Path("/sys/emohelpers-out"), "cannot be created"),
    ],
    ids=["existing-file", "below-a-file", "under-proc", "proc-itself", "under-sys"],
)
def test_ensure_out_dir_refuses(a_file: Path, make, problem: str) -> None:
    path = make(a_file)
    with pytest.raises(OutputError) as info:
        ensure_out_dir(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: ") and problem in msg and "--out" in msg
    assert "\n" not in msg


def test_ensure_out_dir_read_only_file_system(read_only_dir: Path) -> None:
    for path in (read_only_dir, read_only_dir / "new"):
        with pytest.raises(OutputError, match="read-only file system"):
            ensure_out_dir(path)


def _commands(tmp: Path) -> dict[str, list[str]]:
    """Every command that writes, with arguments valid apart from --out (the inputs are
    checked first, for existing; their contents are never read: --out comes next)."""
    video = str(tmp / "clip.mp4")
    table = tmp / "table.csv"
    for path in (Path(video), table):
        path.write_text("never read\n")
    return {
        "analyze": ["analyze", video],
        "report": ["report", video],
        "explain": ["explain", video],
        "evaluate": ["evaluate", str(table), str(table)],
        "evaluate-images": ["evaluate-images", str(tmp)],
        "evaluate-voice": ["evaluate-voice", str(tmp)],
        "analyze-voice": ["analyze-voice", video],
    }


@pytest.mark.parametrize(
    "command",
    [
        "analyze",
        "report",
        "explain",
        "evaluate",
        "evaluate-images",
        "evaluate-voice",
        "analyze-voice",
    ],
)
@pytest.mark.parametrize("where", ["file", "below-file", "proc"])
def test_every_command_checks_out_first(command: str, where: str, a_file: Path, capsys) -> None:
    out = {"file": a_file, "below-file": a_file / "x", "proc": Path("/proc/emo-out")}[where]
    code = main([*_commands(a_file.parent)[command], "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith(f"emohelpers {command}: error: {out}: ") and "\n" not in err
    assert a_file.read_text() == "not a folder\n"


def test_cli_read_only_out_is_one_line_before_any_work(read_only_dir: Path, sample_dir: Path):
    """The real command line: one line, exit 1, no traceback, nothing analysed."""
    video = sample_dir / "single_face.mp4"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "emohelpers",
            "analyze",
            str(video),
            "--model",
            "mini-xception",
            "--out",
            str(read_only_dir / "analysis"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"emohelpers analyze: error: {read_only_dir / 'analysis'}: the folder "
        "cannot be created: read-only file system; fix: choose another --out "
        "folder"
    ], proc.stderr
