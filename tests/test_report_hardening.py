"""Issue 14 in the report layer: truncation shown (case 2), the index merged across batches
with unfinished clips marked (case 7), no machine paths and no unescaped text in pages
(case 8). The end-to-end runs (Ctrl-C, case 6; a crafted model folder, case 8) are at the
end, marked slow."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from emohelpers.analysis.provenance import model_label
from emohelpers.analysis.table import Analysis
from emohelpers.report import sections as rs
from emohelpers.report.clip_status import read_status, write_status
from emohelpers.report.html import markdown_text
from emohelpers.report.index_page import ClipResult, write_index
from emohelpers.report.shareable import strip_paths, write_shareable_notebook
from tests.helpers import make_table

#: A model folder name that injects markup wherever it is not escaped.
CRAFTED = "x`<img src=x onerror=alert(1)>`"


class _Elements(HTMLParser):
    """The start tags of an HTML page, as a browser's parser sees them (not inside scripts)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def injected_images(page: str) -> list[dict]:
    """`<img>` elements whose src is the crafted "x" (none in a safe page)."""
    return [a for t, a in _Elements(page).tags if t == "img" and a.get("src") == "x"]


def _table():
    return make_table([(0, 0.0, 1, "happy"), (12, 0.5, 1, "neutral")])


def _prov(**video):
    return {
        "video": {
            "name": "cut.mp4",
            "duration_s": 8.0,
            "fps": 24.0,
            "width": 64,
            "height": 48,
            **video,
        },
        "sampling": {"every_n": 12},
        "classifier": {"name": "mini-xception"},
    }


# --- case 2: truncation in the facts and the index ----------------------------------------


def test_clip_facts_show_truncation():
    facts = rs.clip_facts(Analysis(_table(), _prov(truncated=True, decoded_until_s=3.25)))
    row = facts.loc[facts["fact"] == "truncated", "value"]
    assert len(row) == 1 and "decoded up to 3.25 s of the 8.00 s" in row.iloc[0]
    whole = rs.clip_facts(Analysis(_table(), _prov(truncated=False, decoded_until_s=7.9)))
    assert "truncated" not in set(whole["fact"])


def test_index_marks_a_truncated_clip(tmp_path):
    key = {
        "duration_s": 8.0,
        "persons": 1,
        "model": "mini-xception",
        "truncated": True,
        "decoded_until_s": 3.25,
    }
    cut = ClipResult(Path("cut.mp4"), tmp_path / "cut", ok=True, key_figures=key, state="ok")
    whole = ClipResult(
        Path("whole.mp4"),
        tmp_path / "whole",
        ok=True,
        key_figures={**key, "truncated": False},
        state="ok",
    )
    page = write_index([cut, whole], tmp_path).read_text()
    assert page.count(">truncated</b>: decoded up to 3.2 s") == 1


# --- case 7: the index remembers ------------------------------------------------------------


def _done(out: Path, name: str, ok: bool = True) -> ClipResult:
    folder = out / name
    write_status(
        folder, "ok" if ok else "failed", f"{name}.mp4", error=None if ok else "VideoReadError: bad"
    )
    key = {"video": f"{name}.mp4", "duration_s": 2.0, "persons": 1, "model": "mini-xception"}
    (folder / rs.KEY_FIGURES_FILE).write_text(json.dumps(key))
    return ClipResult.from_folder(folder)


def test_index_merges_batches_and_marks_unfinished_clips(tmp_path):
    first = [_done(tmp_path, "a"), _done(tmp_path, "b", ok=False)]
    write_status(tmp_path / "c", "started", "c.mp4")  # interrupted while c ran ...
    write_status(tmp_path / "d", "queued", "d.mp4")  # ... before d began
    write_index(first, tmp_path)
    later = [_done(tmp_path, "e")]  # a later batch, other clips, same --out
    page = write_index(later, tmp_path).read_text()
    for name in ("a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4"):
        assert f"<td>{name}</td>" in page, name
    assert 'href="a/report.html"' in page and 'href="e/report.html"' in page
    assert "<b>started, not finished</b>" in page and "<b>not started</b>" in page
    assert "5 clip(s), 1 failed" in page and "2 not finished" in page
    assert not list(tmp_path.glob(".*.tmp"))  # written through temporary names


def test_status_of_folders_from_older_versions(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.html").write_text("<html></html>")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "report.ipynb").write_text("{}")
    (tmp_path / "other").mkdir()
    assert read_status(tmp_path / "old")["state"] == "ok"
    assert read_status(tmp_path / "half")["state"] == "started"
    assert read_status(tmp_path / "other") is None
    with pytest.raises(ValueError, match="state='done'"):
        write_status(tmp_path / "x", "done", "x.mp4")


# --- case 8: names, not paths; escaped text -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("mini-xception", "mini-xception"),
        ("trpakov/vit-face-expression", "trpakov/vit-face-expression"),
        (f"/home/someone/models/{CRAFTED}", CRAFTED),
        ("/srv/models/vit-ft/", "vit-ft"),
    ],
)
def test_model_label_hides_the_folder_path(name, label):
    assert model_label(name) == label


def test_facts_and_key_figures_name_a_model_folder_not_its_path(tmp_path):
    folder = tmp_path / "models" / CRAFTED
    prov = {**_prov(), "classifier": {"name": str(folder), "revision": "local folder"}}
    analysis = Analysis(_table(), prov)
    facts = rs.clip_facts(analysis).to_string()
    assert CRAFTED in facts and str(tmp_path) not in facts
    from emohelpers.report.parameters import check_parameters

    key = rs.key_figures(analysis, check_parameters(video="cut.mp4", out_dir=str(tmp_path)))
    assert key["model"] == CRAFTED and key["truncated"] is False


def test_markdown_text_is_inert_in_nbconvert():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    page = markdown2html_mistune(f"*Maps of* {markdown_text(CRAFTED + ' [a](b)')}")
    assert injected_images(page) == [] and "<a" not in page
    assert "x`&lt;img src=x onerror=alert(1)&gt;`" in page  # shown as text, as written
    unsafe = markdown2html_mistune(f"Maps of `{CRAFTED}`")  # what the section did before
    assert injected_images(unsafe)


def test_strip_paths():
    text = (
        "ModelLoadError: /var/cache/emo/weights.h5 is short; see "
        "https://huggingface.co/org/model; /tmp/my clips/a b.mp4 at line 3"
    )
    out = strip_paths(text, [Path("/tmp/my clips")])
    assert out == (
        "ModelLoadError: weights.h5 is short; see https://huggingface.co/org/model; "
        "a b.mp4 at line 3"
    )


def test_shareable_notebook_has_no_machine_paths(tmp_path):
    video, out = "/data/private/clips/a.mp4", str(tmp_path / "a")
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(f'video = "{video}"\nout_dir = "{out}"\n')
    params.metadata["tags"] = ["injected-parameters"]
    failed = nbformat.v4.new_code_cell("load(video)")
    failed.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="VideoReadError",
            evalue=f"{video}: empty",
            traceback=["File /opt/venv/lib/python3.11/site-packages/x.py, line 3", f"{video}"],
        ),
        nbformat.v4.new_output("stream", name="stderr", text=f"writing {out}/t.parquet\n"),
    ]
    nb.cells = [params, failed]
    nb.metadata["papermill"] = {"input_path": "/srv/nb/clip_report.ipynb", "output_path": out}
    src, dst = tmp_path / "report.ipynb", tmp_path / "partial-report.ipynb"
    nbformat.write(nb, str(src))
    write_shareable_notebook(src, dst, [Path(out), Path(video).parent])
    text = dst.read_text()
    for path in ("/data", "/opt", "/srv", str(tmp_path)):
        assert path not in text, path
    shared = nbformat.read(str(dst), as_version=4)
    assert shared.cells[0].source == 'video = "a.mp4"\nout_dir = "a"\n'
    assert shared.cells[1].outputs[0].evalue == "a.mp4: empty"
    assert "papermill" not in shared.metadata


# --- end to end -----------------------------------------------------------------------------


def _report_cmd(inputs: list[Path], out: Path) -> list[str]:
    import sys

    return [
        sys.executable,
        "-m",
        "emohelpers",
        "report",
        *map(str, inputs),
        "--out",
        str(out),
        "--model",
        "mini-xception",
        "--every-n",
        "8",
        "--sections",
        "clip",
    ]


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.notebooks
def test_ctrl_c_is_quiet_and_the_index_remembers(sample_dir, tmp_path):
    """Case 6 and 7: Ctrl-C while the first clip's notebook runs prints one line and exits
    130, no kernel traceback or warning; the index then lists that clip as started and the
    next as not started, and a later batch into the same folder keeps both."""
    import os
    import shutil
    import signal
    import subprocess
    import time

    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(sample_dir / "single_face.mp4", clips / name)
    out = tmp_path / "out"
    # Its own session, signalled as a group: what a terminal's Ctrl-C does. SIGINT as a
    # terminal's shell leaves it: a test run started in the background (`cmd &` in a script)
    # would otherwise hand its ignored SIGINT down to the command.
    proc = subprocess.Popen(
        _report_cmd([clips / "a.mp4", clips / "b.mp4"], out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 120
    while not (out / "a" / "kernel.log").is_file() and proc.poll() is None:
        assert time.monotonic() < deadline, "the first clip's kernel never started"
        time.sleep(0.2)
    time.sleep(4)  # the notebook is executing its cells
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    for noise in ("Traceback", "ZMQError", "without encryption", "Parent appears"):
        assert noise not in err, err
    assert err.strip().splitlines()[-1] == "emohelpers report: interrupted"
    index = (out / "index.html").read_text()
    assert "2 clip(s), 0 failed" in index and "2 not finished" in index
    assert "<b>started, not finished</b>" in index and "<b>not started</b>" in index

    later = subprocess.run(
        _report_cmd([clips / "b.mp4"], out), capture_output=True, text=True, timeout=300
    )
    assert later.returncode == 0, later.stderr
    assert "without encryption" not in later.stderr and "Traceback" not in later.stderr
    index = (out / "index.html").read_text()
    assert "2 clip(s), 0 failed" in index and "1 not finished" in index
    assert 'href="b/report.html"' in index and "<td>a.mp4</td>" in index
    assert not (out / "b" / "kernel.log").exists()  # kept only for clips that did not succeed


@pytest.mark.slow
@pytest.mark.notebooks
def test_crafted_model_folder_through_a_report(sample_dir, tmp_path):
    """Case 8: a local model folder named like markup: pages show its name, escaped, and
    never its path; only provenance.json keeps the path."""
    from test_hf_classifier import save_tiny_vit

    from emohelpers.core.settings import AnalysisSettings
    from emohelpers.report.run import run_reports

    folder = save_tiny_vit(tmp_path / "models" / CRAFTED)
    out = tmp_path / "out"
    settings = AnalysisSettings.from_flat(model=str(folder), every_n=8)
    [result] = run_reports(
        [sample_dir / "single_face.mp4"],
        out,
        settings,
        sections=["clip", "explain"],
        progress=False,
    )
    assert result.ok, result.error
    page = result.report.read_text()
    index = (out / "index.html").read_text()
    key = (result.folder / rs.KEY_FIGURES_FILE).read_text()
    for text in (page, index, key):
        assert str(tmp_path) not in text
    assert injected_images(page) == [] and injected_images(index) == []
    assert "Grad-CAM maps of" in page  # the explanation note, with the name in it
    assert json.loads(key)["model"] == CRAFTED
    assert f"<td>{CRAFTED.replace('<', '&lt;').replace('>', '&gt;')}</td>" in index
    prov = json.loads((result.folder / "provenance.json").read_text())
    assert prov["classifier"]["name"] == str(folder.resolve())
