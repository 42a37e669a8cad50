"""A truncated video through `emohelpers analyze`: besides the provenance and the report,
the terminal gets one warning line saying how far it was decoded."""

from __future__ import annotations

import re
import subprocess
import sys

import imageio_ffmpeg
import pytest


@pytest.fixture(scope="module")
def half_faststart(tmp_path_factory):
    """Half of a 5 s faststart H.264 mp4 (its index at the front, as web encoders write)."""
    folder = tmp_path_factory.mktemp("trunc-cli")
    whole = folder / "whole.mp4"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i"]
    cmd += ["testsrc2=size=160x120:rate=12", "-frames:v", "60", "-c:v", "libx264"]
    cmd += ["-pix_fmt", "yuv420p", "-g", "4", "-movflags", "+faststart", str(whole)]
    subprocess.run(cmd, check=True)
    data = whole.read_bytes()
    half = folder / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    return half


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["default", "quiet"])
def test_analyze_prints_one_truncation_line(half_faststart, quiet, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", *quiet, "analyze", str(half_faststart)]
        + ["--out", str(tmp_path / "out"), "--model", "mini-xception", "--every-n", "6"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    pattern = r"^emohelpers analyze: warning: half\.mp4: truncated, decoded up to [\d.]+ s of 5\.00"
    lines = [ln for ln in run.stderr.splitlines() if re.match(pattern, ln)]
    assert len(lines) == 1, run.stderr


def test_a_complete_clip_gets_no_truncation_line(sample_dir, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", "-q", "analyze", str(sample_dir / "single_face.mp4")]
        + ["--out", str(tmp_path / "out"), "--model", "mini-xception", "--every-n", "24"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0 and "truncated" not in run.stderr, run.stderr
