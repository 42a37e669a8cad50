"""Rerunning a finished corpus with nothing changed keeps its report (no kernel); a changed
golden file or metadata column makes it again."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _corpus(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        *(sys.executable, "-m", "emohelpers", "corpus", str(tmp_path / "manifest.csv")),
        *("--out", str(tmp_path / "out"), "--model", "mini-xception", "--every-n", "12"),
        *("--workers", "0", "-q", *extra),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)


def _stamp(path):
    return path.stat().st_mtime_ns, path.read_bytes()


@pytest.mark.slow
@pytest.mark.notebooks
def test_an_unchanged_rerun_keeps_the_report(sample_dir, tmp_path):
    (tmp_path / "one.mp4").write_bytes((sample_dir / "single_face.mp4").read_bytes())
    (tmp_path / "manifest.csv").write_text("video,speaker\none.mp4,Ann\n")
    golden = tmp_path / "golden.csv"
    golden.write_text("clip,label\none,happy\n")
    corpus = tmp_path / "out" / "corpus"
    page, notebook = corpus / "index.html", corpus / "report.ipynb"

    first = _corpus(tmp_path, "--golden", str(golden))
    assert first.returncode == 0, first.stderr
    made = _stamp(page), _stamp(notebook)

    again = _corpus(tmp_path, "--golden", str(golden))
    assert again.returncode == 0, again.stderr
    assert "1 skipped" in again.stdout
    assert f"corpus report: {page} (kept: same clips, parameters and golden file)" in again.stdout
    assert (_stamp(page), _stamp(notebook)) == made  # no kernel ran the notebook again

    golden.write_text("clip,label\none,sad\n")
    third = _corpus(tmp_path, "--golden", str(golden))
    assert third.returncode == 0, third.stderr
    assert "kept" not in third.stdout and _stamp(page) != made[0]
    made = _stamp(page)

    (tmp_path / "manifest.csv").write_text("video,speaker\none.mp4,Bob\n")
    fourth = _corpus(tmp_path, "--golden", str(golden))
    assert fourth.returncode == 0, fourth.stderr
    assert "kept" not in fourth.stdout and _stamp(page) != made

    fifth = _corpus(tmp_path)  # no golden file: other parameters
    assert fifth.returncode == 0, fifth.stderr
    assert "kept" not in fifth.stdout
