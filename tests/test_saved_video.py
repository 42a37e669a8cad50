"""A saved analysis meets its video: the video named in the provenance must be the one it
was made from (size, then sha256), before any frame is read back (explain, the report's
sections, the explorer, the corpus explorer)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emohelpers.analysis.provenance import Provenance
from emohelpers.analysis.table import Analysis
from emohelpers.analysis.video import probe_video
from emohelpers.core.assets import sha256_file
from emohelpers.core.errors import VideoReadError
from tests.helpers import make_table


def _saved(video: Path, folder: Path) -> Analysis:
    """An analysis of `video` with the provenance's video block as `analyze` writes it."""
    info = probe_video(video)
    table = make_table([(i, i / 25, 1, "happy") for i in range(0, 40, 8)])
    video_block = {**info.as_dict(), "name": video.name, "sha256": sha256_file(video)}
    Analysis(table, Provenance(video=video_block)).save(folder)
    return Analysis.load(folder)


@pytest.fixture
def clip(sample_dir: Path, tmp_path: Path) -> Path:
    video = tmp_path / "clip.mp4"
    shutil.copy(sample_dir / "single_face.mp4", video)
    return video


def _same_size_other_bytes(video: Path) -> None:
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other content
    video.write_bytes(bytes(data))


def test_the_matching_video_is_returned(clip, tmp_path):
    analysis = _saved(clip, tmp_path / "analysis")
    assert analysis.video_file() == clip
    assert analysis.video_file(clip) == clip


@pytest.mark.parametrize("replace", ["other clip", "same size"])
def test_a_replaced_video_is_refused(replace, clip, sample_dir, tmp_path):
    analysis = _saved(clip, tmp_path / "analysis")
    if replace == "other clip":
        shutil.copy(sample_dir / "no_face.mp4", clip)
    else:
        _same_size_other_bytes(clip)
    with pytest.raises(VideoReadError, match=r"clip\.mp4.*not the video.*re-analyse"):
        analysis.video_file()


def test_explain_refuses_a_replaced_video(clip, sample_dir, tmp_path):
    folder = tmp_path / "analysis"
    _saved(clip, folder)
    shutil.copy(sample_dir / "no_face.mp4", clip)
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", "explain", str(folder), "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "not the video" in lines[0] and "clip.mp4" in lines[0], lines


def test_the_explorer_refuses_a_replaced_video(clip, tmp_path):
    pytest.importorskip("ipywidgets")
    from emohelpers.lab.explorer import ClipExplorer

    analysis = _saved(clip, tmp_path / "analysis")
    _same_size_other_bytes(clip)
    with pytest.raises(VideoReadError, match="not the video"):
        ClipExplorer(clip, analysis, work_dir=tmp_path / "work")


def test_the_report_sections_refuse_a_replaced_video(clip, tmp_path):
    from emohelpers.report.parameters import check_parameters
    from emohelpers.report.sections import show_radars

    analysis = _saved(clip, tmp_path / "analysis")
    _same_size_other_bytes(clip)
    params = check_parameters(video=str(clip), out_dir=str(tmp_path / "r"))
    with pytest.raises(VideoReadError, match="not the video"):
        show_radars(analysis, params)
