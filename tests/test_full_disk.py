"""A full disk (a small tmpfs, where this machine lets us mount one) during `analyze` and
`report`: one line "no space left on device while writing FILE", no partial or temporary
file left, and nothing a later run would take for finished work (no provenance.json, no
status.json saying "started")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


@pytest.fixture
def full_disk(tmp_path, request):
    """A 3 MB tmpfs filled up to its last few kilobytes (`free_kb`, by indirect parameter)."""
    free_kb = getattr(request, "param", 6)
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8); this machine has neither")
    run = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()}")
    try:
        filler = mnt / f"filler-{uuid.uuid4().hex}"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # full
            pass
        finally:
            os.close(fd)
        os.truncate(filler, max(0, filler.stat().st_size - free_kb * 1024))
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emohelpers", "-q", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_analyze_on_a_full_disk(full_disk, sample_dir):
    out = full_disk / "analysis"
    run = _cli("analyze", str(sample_dir / "single_face.mp4"), "--out", str(out))
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no space left on device while writing" in lines[0], lines
    assert "Traceback" not in run.stderr
    assert not (out / "provenance.json").exists()
    assert not [f for f in _files(out) if f.startswith(".") or "/." in f]  # no temporaries


@pytest.mark.slow
@pytest.mark.parametrize("full_disk", [6, 400], indirect=True, ids=["6 kB", "400 kB"])
def test_report_on_a_full_disk(full_disk, sample_dir):
    out = full_disk / "reports"
    run = _cli("report", str(sample_dir / "single_face.mp4"), "--out", str(out))
    assert run.returncode == 1
    lines = [ln for ln in run.stderr.strip().splitlines() if ln.strip()]
    assert any("no space left on device" in ln for ln in lines), run.stderr
    assert "Traceback" not in run.stderr
    for status in out.rglob("status.json"):
        assert '"started"' not in status.read_text() and '"ok"' not in status.read_text()
    # a committed analysis is whole (its provenance written last) and may be reused; the
    # report is not: no page, no notebook, no temporaries
    assert not list(out.rglob("report.html")) and not list(out.rglob("report.ipynb"))
    assert not [f for f in _files(out) if f.startswith(".") or "/." in f]


@pytest.mark.parametrize("full_disk", [6, 30], indirect=True, ids=["6 kB", "30 kB"])
def test_corpus_on_a_full_disk(full_disk, sample_dir):
    out = full_disk / "corpus-run"
    run = _cli(
        "corpus",
        str(sample_dir / "single_face.mp4"),
        "--out",
        str(out),
        "--workers",
        "0",
        "--model",
        "mini-xception",
        "--every-n",
        "24",
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no space left on device while writing" in lines[0], lines
    for marker in out.rglob("clip.json"):  # none marked finished (a failed one is retried)
        assert '"status": "failed"' in marker.read_text() and "no space left" in marker.read_text()
    assert not [f for f in _files(out) if f.startswith(".") or "/." in f]


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["0", "1"], ids=["in-process", "cluster"])
@pytest.mark.parametrize("full_disk", [50], indirect=True, ids=["50 kB"])
def test_corpus_stops_at_the_first_full_disk(full_disk, sample_dir, workers, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(sample_dir / "single_face.mp4", videos / f"{name}.mp4")
    out = full_disk / "corpus-run"
    args = ["corpus", str(videos), "--out", str(out), "--workers", workers, "--no-report"]
    args += ["--model", "mini-xception", "--every-n", "24"]
    run = _cli(*args)
    assert run.returncode == 1, run.stderr
    lines = [ln for ln in run.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("emohelpers corpus: error: no space left on device while writing")
    assert "FAILED" not in run.stdout, run.stdout  # stopped: not one failure per clip
    for marker in out.rglob("clip.json"):  # only whole clips are marked finished
        name = marker.parent.name
        assert f"ok      {name}:" in run.stdout, (name, run.stdout)
        assert (out / "corpus" / "emotions" / f"clip={name}" / "part-0.parquet").is_file()
    assert not [f for f in _files(out) if f.startswith(".") or "/." in f]
    for filler in full_disk.glob("filler-*"):
        filler.unlink()
    again = _cli(*args)
    assert again.returncode == 0, again.stderr
    skipped = run.stdout.count("ok      ")
    assert f"3 clip(s): {3 - skipped} done, {skipped} skipped, 0 failed" in again.stdout
