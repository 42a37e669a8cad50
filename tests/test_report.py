"""The report batch: parameters, inputs, sections, the index and the notebook run end to end."""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from emohelpers.analysis.table import Analysis
from emohelpers.cli.main import main
from emohelpers.core.errors import ParameterError
from emohelpers.core.notebooks import project_dir
from emohelpers.core.settings import AnalysisSettings
from emohelpers.report import sections as rs
from emohelpers.report.html import video_html
from emohelpers.report.index_page import ClipResult, write_index
from emohelpers.report.parameters import (
    REPORT_NAMES,
    SECTIONS,
    check_parameters,
    notebook_parameters,
    parameter_names,
    parameter_specs,
)
from emohelpers.report.run import clip_folders, clip_source_id, collect_inputs, run_clip
from emohelpers.summaries.summary import main_persons
from tests.conftest import BROKEN_CLIP, REPORT_CLIP, REPORT_SETTINGS
from tests.helpers import make_table

REPO = Path(__file__).resolve().parents[1]


def machine_paths() -> list[str]:
    """Strings that must never appear in a published page."""
    return [str(REPO), "/root", "/tmp", str(Path.home())]


# --- parameters ----------------------------------------------------------------------------


def test_defaults_and_normalisation(tmp_path):
    p = check_parameters(video=str(tmp_path / "a.mp4"), out_dir=str(tmp_path))
    assert p.video == tmp_path / "a.mp4" and p.out_dir == tmp_path
    assert p.settings == AnalysisSettings() and p.settings.every_n == 1
    assert p.settings.fps is None and p.sections == SECTIONS
    p = check_parameters(video="a.mp4", fps=5, sections="video, clip", max_gap_s=3)
    assert p.settings.every_n is None and p.settings.fps == 5.0
    # The notebook's cell: every_n = None, so an injected fps alone decides...
    p = check_parameters(video="a.mp4", every_n=None, fps=5, sections="video, clip", max_gap_s=3)
    assert p.settings.every_n is None and p.settings.fps == 5.0
    assert p.sections == ("clip", "video") and p.settings.tracker.max_gap_s == 3
    assert p.out_dir == project_dir() / "outputs" / "a"  # the project's, wherever it runs


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"colour": "red"}, r"unknown parameter\(s\) \['colour'\]"),
        ({"every_n": 0}, "every_n=0"),
        ({"every_n": 2.5}, "every_n=2.5"),
        ({"every_n": True}, "every_n=True"),
        ({"fps": -1}, "fps=-1"),
        ({"fps": math.nan}, "fps=nan"),
        ({"every_n": 2, "fps": 5}, "give one, not both"),
        ({"every_n": 1, "fps": 5}, "every_n=1 and fps=5: give one, not both"),  # ...never both
        ({"sections": ["clip", "nope"]}, "sections="),
        ({"sections": 3}, "sections=3"),
        ({"radar": "big"}, "radar='big'"),
        ({"gallery_size": 49}, "gallery_size=49"),
        ({"max_persons": 0}, "max_persons=0"),
        ({"bars_frame": -1}, "bars_frame=-1"),
        ({"window_s": 0}, "window_s=0"),
        ({"valence_margin": 1.5}, "valence_margin=1.5"),
        ({"valence_mapping": "other"}, "valence_mapping='other'"),
        ({"device": "tpu"}, "device='tpu'"),
        ({"model": ""}, "model=''"),
        ({"video": 3}, "video=3"),
    ],
)
def test_invalid_parameters_are_refused(params, error):
    with pytest.raises(ParameterError, match=error):
        check_parameters(**{"video": "a.mp4", **params})


def test_notebook_parameters_are_the_names_defined_since():
    before = {"x", "In"}
    ns = {"x": 1, "In": [], "video": "a.mp4", "colour": "red", "_i3": "", "_": None}
    assert notebook_parameters(ns, before) == {"video": "a.mp4", "colour": "red"}


def test_notebook_parameters_match_the_package():
    import nbformat

    nb = nbformat.read(REPO / "notebooks" / "clip_report.ipynb", as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    lines = [ln for ln in cells[0].source.splitlines() if ln.strip()]
    code = [ln.split("  # ")[0] for ln in lines]
    assert all(re.match(r"^\w+ = .+  # .+", ln) for ln in lines), lines
    assert all(c.count("=") == 1 for c in code), code
    names = [ln.split(" = ")[0] for ln in lines]
    assert set(REPORT_NAMES) <= set(names) <= set(parameter_names())
    # The cell's values are the declared defaults, and they pass the check as they are.
    defaults = {s.name: s.default for s in parameter_specs()}
    values = {}
    for ln in lines:
        name, value = ln.split("  # ")[0].split(" = ")
        values[name] = eval(value)  # noqa: S307 (the notebook's own cell)
        assert values[name] == defaults[name], ln
    assert check_parameters(**values).settings == AnalysisSettings()


# --- inputs and folders --------------------------------------------------------------------


def test_clip_folders_are_unique_and_safe():
    videos = [Path("a/clip.mp4"), Path("b/clip.mov"), Path("c/Clip.mp4"), Path("d/my clip!.mp4")]
    ids = [clip_source_id(v) for v in videos]
    assert clip_folders(videos) == ["clip", f"clip-{ids[1]}", f"Clip-{ids[2]}", "my_clip"]


def test_empty_videos_folder_means_the_sample_clips(tmp_path, sample_dir):
    (tmp_path / "README.md").write_text("put clips here\n")
    videos = collect_inputs([tmp_path])
    assert [v.name for v in videos] == [p.name for p in collect_inputs(None)]
    assert all(v.parent == sample_dir for v in videos) and len(videos) == 5


def test_inputs_files_and_folders(tmp_path):
    (tmp_path / "b.mp4").write_bytes(b"x")
    (tmp_path / "a.MOV").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert [v.name for v in collect_inputs([tmp_path])] == ["a.MOV", "b.mp4"]
    with pytest.raises(ParameterError, match="no such file"):
        collect_inputs([tmp_path / "missing.mp4"])
    with pytest.raises(ParameterError, match="not a video"):
        collect_inputs([tmp_path / "notes.txt"])


# --- sections without a kernel -------------------------------------------------------------


def table():
    rows = [
        (0, 0.0, 1, "neutral"),
        (8, 0.27, 1, {"happy": 0.7, "neutral": 0.3}),
        (16, 0.53, None, None),
        (24, 0.8, 1, "sad"),
        (24, 0.8, 2, "happy"),
    ]
    return make_table(rows)


def test_pure_helpers():
    t = table()
    assert rs.key_frames(t, 2) == [0, 24] and rs.key_frames(t, 0) == []
    assert rs.key_frames(t, 10) == [0, 8, 16, 24]
    assert rs.detail_frame(t) == 24  # sad 1.0 beats happy 0.7
    assert rs.detail_frame(t, wanted=9) == 8
    assert main_persons(t, 1) == [1.0]
    people = rs.person_summary(t)
    assert list(people["person"]) == ["P1", "P2"] and people["verdict"].iloc[1] == "positive"


def test_clip_facts_show_no_path(tmp_path):
    prov = {
        "video": {
            "path": str(tmp_path / "x.mp4"),
            "name": "x.mp4",
            "duration_s": 1.0,
            "fps": 30.0,
            "width": 64,
            "height": 48,
        },
        "sampling": {"every_n": 8},
        "classifier": {"name": "mini-xception"},
    }
    facts = rs.clip_facts(Analysis(table(), prov))
    text = facts.to_string()
    assert "x.mp4" in text and str(tmp_path) not in text and "every 8th frame" in text
    assert "3 of 4 frames (75%)" in text
    # Shots with their cut times and the tracking settings in words.
    t = table()
    t["shot"] = (t["frame"] >= 16).astype("int64")
    prov["tracker"] = {"shots": {"cuts_s": [0.5]}}
    facts = dict(rs.clip_facts(Analysis(t, prov)).to_numpy())
    assert facts["shots"] == "2 (cuts at 0.50 s)"
    assert facts["tracking"].startswith("gap 1 s or 3 sampling intervals")
    assert "re-identification by face" in facts["tracking"]


def test_gallery_and_video_html(sample_dir):
    page = rs.gallery_html(sample_dir / REPORT_CLIP, table(), n=3)  # frames 0, 16, 24
    assert page.count("data:image/jpeg;base64,") == 3
    assert "P1 neutral" in page and "no face" in page and "P1 sad, P2 happy" in page
    assert 'src="annotated.mp4"' in video_html("annotated.mp4")


def test_index_lists_each_clip_and_failures(tmp_path):
    good = ClipResult(
        Path("/data/videos/a.mp4"),
        tmp_path / "a",
        ok=True,
        seconds=3,
        key_figures={
            "duration_s": 2.4,
            "persons": 1,
            "dominant": {"P1": "happy"},
            "verdicts": {"P1": "positive"},
            "model": "mini-xception",
        },
    )
    bad = ClipResult(
        Path("/data/videos/b.mp4"),
        tmp_path / "b",
        ok=False,
        error="VideoReadError: b.mp4: the file is empty (0 bytes)",
    )
    bad.folder.mkdir()
    bad.partial_notebook.write_text("{}")  # run_clip writes it for a clip that failed
    page = write_index([good, bad], tmp_path).read_text()
    assert 'href="a/report.html"' in page and 'href="b/partial-report.ipynb"' in page
    # Key figures of an older report (no intervals): the plain verdict, labelled.
    assert "P1</b> happy <i>(valence positive)</i>" in page and "2.4 s" in page
    assert "<td>mini-xception</td>" in page  # every output names the classifier
    assert "the file is empty (0 bytes)" in page and "1 failed" in page
    assert "/data/videos" not in page and str(tmp_path) not in page


# --- end to end (papermill) ----------------------------------------------------------------


@pytest.mark.notebooks
@pytest.mark.slow
def test_report_batch(report_dir):
    good, broken = report_dir.good, report_dir.broken
    assert good.ok, good.error
    folder = good.folder
    for name in (
        "report.html",
        "report.ipynb",
        "annotated.mp4",
        "emotions.parquet",
        "provenance.json",
        "key_figures.json",
        "thumb.jpg",
    ):
        assert (folder / name).is_file(), name
    key = json.loads((folder / "key_figures.json").read_text())
    assert key["video"] == REPORT_CLIP and key["frames_analysed"] == 9
    assert key["persons"] >= 1 and set(key["dominant"]) == set(key["verdicts"])
    assert key["sampling"]["every_n"] == REPORT_SETTINGS["every_n"]
    assert key == good.key_figures

    assert not broken.ok and broken.folder.name == "broken"
    assert broken.error.startswith("VideoReadError: ") and BROKEN_CLIP in broken.error
    assert "\n" not in broken.error and "/" not in broken.error
    # refused by the cheap media check: no kernel, no notebook
    assert not broken.notebook.exists() and not broken.report.exists()

    index = (report_dir.out / "index.html").read_text()
    assert f'href="{folder.name}/report.html"' in index and REPORT_CLIP in index
    assert "broken/partial-report.ipynb" not in index and html.escape(broken.error) in index


@pytest.mark.notebooks
@pytest.mark.slow
def test_report_page_is_offline_and_portable(report_dir):
    page = report_dir.good.report.read_text()
    for path in machine_paths():
        assert path not in page, path
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)  # nothing loaded from outside
    assert "require.min.js" not in page and "mathjax@" not in page.lower()
    # plotly.js names its CDN (topojson default): only there, never in a page's own markup.
    assert page.count("cdn.plot.ly") == get_plotlyjs().count("cdn.plot.ly")
    assert page.count("window.PlotlyConfig") == 1  # plotly.js embedded once
    assert page.count("Plotly.newPlot") >= 6
    assert 'src="annotated.mp4"' in page
    titles = ["Findings", "The clip", "The annotated video", "Expression over time", "Summaries"]
    at = [page.find(f">{n}. {t}" if n else f">{t}") for n, t in enumerate(titles)]
    assert all(a > 0 for a in at) and at == sorted(at), at  # findings first, then evidence
    assert "Key figures" in page and 'class="emo-player"' in page
    # Long parts collapsible, a print stylesheet, the player's script: all in the page.
    assert page.count('<details class="emo-details"') >= 5 and "@media print" in page
    assert "plotly_click" in page and "timeupdate" in page


@pytest.mark.notebooks
@pytest.mark.slow
def test_rerun_reuses_the_analysis_and_sections_select(report_dir, tmp_path):
    good = report_dir.good
    folder = tmp_path / good.name  # a copy: the session's report stays whole for other tests
    shutil.copytree(good.folder, folder)
    made = json.loads((folder / "provenance.json").read_text())["created_utc"]
    again = run_clip(good.video, folder, {**REPORT_SETTINGS, "sections": ["clip"]})
    assert again.ok, again.error
    assert json.loads((folder / "provenance.json").read_text())["created_utc"] == made
    page = again.report.read_text()
    assert "1. The clip" in page and "Expression over time" not in page
    assert again.key_figures["sections"] == ["clip"]
    assert again.key_figures["frames_analysed"] == good.key_figures["frames_analysed"]


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"colour": "red"}, "colour"),
        ({"every_n": 1, "fps": 5}, "every_n=1 and fps=5: give one, not both"),
    ],
)
def test_notebook_refuses_bad_parameters(tmp_path, sample_dir, params, error):
    import papermill as pm

    from emohelpers.report.run import kernel_name, report_notebook

    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(
            str(report_notebook()),
            str(tmp_path / "out.ipynb"),
            {"video": str(sample_dir / REPORT_CLIP), **params},
            kernel_name=kernel_name(),
            progress_bar=False,
            cwd=str(tmp_path),
        )
    assert info.value.ename == "ParameterError" and error in info.value.evalue
    assert not (tmp_path / "emotions.parquet").exists()


@pytest.mark.notebooks
@pytest.mark.slow
def test_cli_exit_code_and_lines(tmp_path, capsys):
    (tmp_path / "empty.mp4").write_bytes(b"")
    code = main(
        [
            "-q",
            "report",
            str(tmp_path / "empty.mp4"),
            "--out",
            str(tmp_path / "out"),
            "--model",
            "mini-xception",
            "--every-n",
            "8",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED  empty.mp4: VideoReadError: empty.mp4: the file is empty" in out
    assert f"index: {tmp_path / 'out' / 'index.html'}" in out


def test_cli_bad_sections_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["report", "--sections", "clip,nope", "--out", "x"])
    assert info.value.code == 2
    assert "sections='clip,nope': invalid; allowed: \"all\" or a list" in capsys.readouterr().err
