"""Where the notebooks write: the project's `outputs/` (as the README says), also when the
kernel runs in `notebooks/` (JupyterLab starts it in the notebook's folder), never
`notebooks/outputs/`; and git ignores `notebooks/outputs/` should anything land there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUTPUTS = REPO / "outputs"


@pytest.fixture
def in_notebooks(monkeypatch):
    monkeypatch.chdir(REPO / "notebooks")


def test_the_clip_notebooks_write_into_the_projects_outputs(in_notebooks, tmp_path):
    from emohelpers.report.parameters import check_parameters

    assert check_parameters(video="a.mp4").out_dir == OUTPUTS / "a"
    assert check_parameters(video="a.mp4", out_dir="outputs/b").out_dir == OUTPUTS / "b"
    assert check_parameters(video="a.mp4", out_dir=str(tmp_path)).out_dir == tmp_path


def test_the_corpus_and_evaluation_notebooks_use_the_projects_outputs(in_notebooks):
    from emohelpers.corpus.report import check_parameters
    from emohelpers.lab.demo_corpus import demo_corpus_dir
    from emohelpers.report.evaluation import check_evaluation_parameters

    assert check_parameters().out_dir == OUTPUTS / "corpus"
    assert demo_corpus_dir("outputs/demo-corpus") == OUTPUTS / "demo-corpus"
    p = check_evaluation_parameters()
    assert p.out_dir == OUTPUTS / "evaluation" and p.predictions == (OUTPUTS,)


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_git_ignores_outputs_below_notebooks():
    for path in ("notebooks/outputs/scene/emotions.parquet", "outputs/scene/index.html"):
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
        assert done.returncode == 0, f"{path} is not ignored"
