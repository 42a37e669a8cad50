"""A missing (or unusable) input is refused in one line before any heavy import (torch)
and before any output folder is made."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

PROBE = (
    "import sys\n"
    "from emohelpers.cli.main import main\n"
    "rc = main(sys.argv[1:])\n"
    "print('TORCH', 'torch' in sys.modules)\n"
    "sys.exit(rc)\n"
)


def _commands(missing, out, tmp_path):
    golden = tmp_path / "golden.csv"
    golden.write_text("clip,label\na,happy\n")
    return {
        "analyze": ["analyze", missing, "--out", out],
        "report": ["report", missing, "--out", out],
        "corpus": ["corpus", missing, "--out", out, "--workers", "0"],
        "corpus golden": ["corpus", str(tmp_path), "--out", out, "--golden", missing],
        "analyze-voice": ["analyze-voice", missing, "--out", out],
        "evaluate-voice": ["evaluate-voice", missing, "--out", out],
        "evaluate-images": ["evaluate-images", missing, "--out", out],
        "evaluate": ["evaluate", missing, str(golden), "--out", out],
        "explain": ["explain", missing, "--out", out],
    }


@pytest.mark.parametrize(
    "command",
    [
        "analyze",
        "report",
        "corpus",
        "corpus golden",
        "analyze-voice",
        "evaluate-voice",
        "evaluate-images",
        "evaluate",
        "explain",
    ],
)
def test_a_missing_input_fails_first(command, tmp_path):
    missing, out = str(tmp_path / "no-such.mp4"), tmp_path / "out" / "deeper"
    argv = _commands(missing, str(out), tmp_path)[command]
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    seconds = time.perf_counter() - t0
    assert run.returncode != 0, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such.mp4" in lines[0] and "no such" in lines[0], lines
    assert "TORCH False" in run.stdout, f"torch was imported before the check ({seconds:.1f} s)"
    assert not (tmp_path / "out").exists()
