"""The corpus report (papermill, golden scoring, offline HTML in headless Chromium) and the
`emohelpers corpus` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from emohelpers.core.errors import ParameterError
from emohelpers.corpus import dataset
from emohelpers.corpus.report import check_parameters, corpus_notebook

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--no-first-run",
]


def test_corpus_notebook_is_thin_and_parameterised():
    nb = nbformat.read(corpus_notebook(), as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for cell in nb.cells:
        if cell.cell_type == "code" and cell not in tagged:
            assert len(cell.source.splitlines()) <= 8, cell.source


def test_report_parameters_are_checked(tmp_path):
    assert check_parameters(out_dir=str(tmp_path), group_by="speaker").group_by == ("speaker",)
    with pytest.raises(ParameterError, match="unknown parameter"):
        check_parameters(out_dir=str(tmp_path), colour="red")
    with pytest.raises(ParameterError, match="golden"):
        check_parameters(out_dir=str(tmp_path), golden=str(tmp_path / "none.csv"))
    with pytest.raises(ParameterError, match="top_n"):
        check_parameters(out_dir=str(tmp_path), top_n=0)


@pytest.fixture(scope="module")
def corpus_report(corpus):
    from emohelpers.corpus.report import run_corpus_report

    _, out, manifest = corpus
    golden = manifest.parent / "golden.csv"
    golden.write_text(
        "clip,label\ndebate_a,happy\ndebate_b,happiness\nlecture_c,sad\nempty_room,neutral\n"
    )
    page = run_corpus_report(out, golden=golden)
    return page, out


@pytest.mark.slow
@pytest.mark.notebooks
def test_corpus_report_runs_under_papermill_and_scores_golden_labels(corpus_report):
    page, out = corpus_report
    assert page == out / "corpus" / "index.html" and page.is_file()
    key = json.loads((out / "corpus" / "key_figures.json").read_text())
    assert (key["clips"], key["ok"], key["failed"], key["pending"]) == (7, 4, 3, 0)
    assert key["groups"] == ["speaker", "debate_id"]
    # The same rule computed here from clips.parquet: the main person's dominant emotion;
    # the no-face clip has no prediction (wrong).
    clips = dataset.read_clips(out).set_index("clip")
    golden = {"debate_a": "happy", "debate_b": "happy", "lecture_c": "sad", "empty_room": "x"}
    right = [str(clips.loc[c, "dominant"]) == label for c, label in golden.items()]
    assert key["accuracy"] == pytest.approx(sum(right) / 4)
    assert not any(p.name.startswith(".") for p in (out / "corpus").iterdir())


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_corpus_report_renders_offline_in_chromium(corpus_report):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    page_path, _ = corpus_report
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        outside: list[str] = []

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        assert outside == [] and errors == []
        plots = page.locator(".js-plotly-plot")
        # status, dominant, verdict, coverage, 2 groups (shares, valence), the persons
        # across clips (shares, valence), confusion
        assert plots.count() == 11
        for i in range(plots.count()):
            assert plots.nth(i).locator("svg.main-svg").count() >= 1, f"figure {i} is empty"
        assert "corrupt.mp4" in page.content()
        browser.close()


@pytest.mark.slow
def test_cli_in_process_then_rerun_skips_everything(sample_dir, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "one.mp4").write_bytes((sample_dir / "single_face.mp4").read_bytes())
    (videos / "broken.mp4").write_bytes(b"no video here\n" * 20)
    cmd = [
        sys.executable,
        "-m",
        "emohelpers",
        "corpus",
        str(videos),
        "--out",
        str(tmp_path / "out"),
        "--model",
        "mini-xception",
        "--every-n",
        "8",
        "--workers",
        "0",
        "--no-report",
        "-q",
    ]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "2 clip(s): 1 done, 0 skipped, 1 failed" in first.stdout
    assert "FAILED  broken: VideoReadError: broken.mp4" in first.stdout + first.stderr
    (videos / "broken.mp4").unlink()
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "1 clip(s): 0 done, 1 skipped, 0 failed" in again.stdout
    clips = pd.read_parquet(tmp_path / "out" / "corpus" / "clips.parquet")
    assert list(clips["clip"]) == ["one"] and bool(clips["skipped"].iloc[0])
