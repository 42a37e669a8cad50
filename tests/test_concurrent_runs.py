"""Two runs into one output folder: one is refused with one line, or both finish whole."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from emohelpers.analysis.table import Analysis
from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import OutputError
from emohelpers.core.folder_lock import LOCK_FILE, folder_lock
from emohelpers.core.settings import AnalysisSettings

REFUSED = "in use by another emohelpers run"


def _analyze(clip, out) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "emohelpers", "-q", "analyze", str(clip), "--out", str(out)]
    cmd += ["--model", "mini-xception", "--every-n", "30", "--no-voice"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_analyze_processes_into_one_folder(tmp_path):
    clip = sample_clip("WolfgangLanger_Pexels.mp4")
    out = tmp_path / "out"
    procs = [_analyze(clip, out) for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    refused = [err for code, _, err in results if code == 1]
    assert codes in ([0, 0], [0, 1]), results
    for err in refused:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and REFUSED in lines[0] and str(out) in lines[0]
    analysis = Analysis.load(out)  # complete and readable, whatever the order
    assert analysis.provenance.settings.sampling["every_n"] == 30
    assert sorted(os.listdir(out)) == ["emotions.parquet", "persons.parquet", "provenance.json"]


def test_analyze_into_a_folder_in_use_is_refused_at_once(tmp_path):
    out = tmp_path / "out"
    with folder_lock(out):
        done = subprocess.run(
            [sys.executable, "-m", "emohelpers", "analyze", str(sample_clip("no_face.mp4"))]
            + ["--out", str(out), "--model", "mini-xception"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"emohelpers analyze: error: {out}: {REFUSED} (pid {os.getpid()}")
    assert os.listdir(out) == []


def test_a_report_batch_into_a_clip_folder_in_use_is_refused_before_any_clip(tmp_path):
    from emohelpers.report.run import run_reports

    settings = AnalysisSettings.from_flat(model="mini-xception", every_n=8)
    clip = sample_clip("single_face.mp4")
    with folder_lock(tmp_path / "single_face"):
        with pytest.raises(OutputError, match=REFUSED):
            run_reports([clip], tmp_path, settings, progress=False)
        assert os.listdir(tmp_path / "single_face") == [LOCK_FILE]
    assert os.listdir(tmp_path / "single_face") == []
