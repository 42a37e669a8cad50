"""The lab layer without a browser: the JupyterLab command (loopback, offline), its settings,
the kernel papermill uses, and the clip explorer driven from Python on the real sample clip
with the real offline model."""

from __future__ import annotations

import json
import sys

import av
import numpy as np
import pytest

from emohelpers.lab.server import (
    KERNEL_NAME,
    LAB_SETTINGS,
    OFFLINE_OPTIONS,
    SAVE_OPTIONS,
    install_lab_settings,
    lab_command,
    lab_environment,
)


def test_lab_command_is_loopback_offline_and_its_token_in_the_environment(tmp_path):
    cmd = lab_command(tmp_path, port=9999)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"] and cmd[3] == str(tmp_path)
    assert "--ip=127.0.0.1" in cmd and "--port=9999" in cmd
    assert set(OFFLINE_OPTIONS) <= set(cmd) and set(SAVE_OPTIONS) <= set(cmd)
    assert "--LabApp.news_url=None" in cmd and "--LabApp.extension_manager=readonly" in cmd
    assert not [a for a in cmd if "token" in a.lower()]
    env = lab_environment("t0k", {"PATH": "/bin"})
    assert env["JUPYTER_TOKEN"] == "t0k" and env["PATH"] == "/bin"


def test_the_save_hook_strips_only_notebooks():
    from emohelpers.lab.save_hook import strip_outputs

    cell = {
        "cell_type": "code",
        "source": "1",
        "execution_count": 2,
        "metadata": {"execution": {}},
        "outputs": [{"output_type": "execute_result", "data": {}}],
    }
    md = {"cell_type": "markdown", "source": "# t", "metadata": {}}
    model = {"type": "notebook", "content": {"metadata": {"widgets": {}}, "cells": [cell, md]}}
    strip_outputs(model, path="x.ipynb", contents_manager=None)
    assert model["content"]["metadata"] == {}
    assert cell["outputs"] == [] and cell["execution_count"] is None and cell["metadata"] == {}
    assert md == {"cell_type": "markdown", "source": "# t", "metadata": {}}
    other = {"type": "file", "content": "{}"}
    strip_outputs(other, path="x.json", contents_manager=None)
    assert other == {"type": "file", "content": "{}"}


def test_lab_settings_are_merged_into_overrides(tmp_path):
    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    other = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
    path.write_text(json.dumps(other))
    assert install_lab_settings(tmp_path) == path
    written = json.loads(path.read_text())
    assert written == {**other, **LAB_SETTINGS}
    install_lab_settings(tmp_path)  # idempotent
    assert json.loads(path.read_text()) == written


def test_papermill_uses_the_emohelpers_kernel_when_registered():
    from emohelpers.lab.server import kernel_installed
    from emohelpers.report.run import kernel_name

    assert kernel_name() == (KERNEL_NAME if kernel_installed() else "python3")


@pytest.fixture(scope="module")
def explorer(sample_dir, tmp_path_factory):
    pytest.importorskip("ipywidgets")
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.lab.explorer import ClipExplorer

    video = sample_dir / "WolfgangLanger_Pexels.mp4"
    analysis = analyze(video, model="mini-xception", every_n=6, progress=False)
    ex = ClipExplorer(video, analysis, work_dir=tmp_path_factory.mktemp("explore"))
    yield ex
    ex.close()


@pytest.mark.slow
def test_slider_redraws_frame_radar_label_and_cursor(explorer):
    explorer.slider.value = 0
    before = (explorer.image.value, explorer.radar.value, explorer.label.value)
    explorer.slider.value = len(explorer.frames) // 2
    after = (explorer.image.value, explorer.radar.value, explorer.label.value)
    assert all(a != b for a, b in zip(before, after, strict=True))
    t = float(explorer.times_s[len(explorer.frames) // 2])
    assert explorer.timeline.layout.shapes[-1].x0 == pytest.approx(t)
    assert f"frame {explorer.frames[len(explorer.frames) // 2]}" in explorer.label.value
    # The shown frame is the source frame of that index (JPEG of the boxed frame).
    from io import BytesIO

    from PIL import Image

    shown = np.asarray(Image.open(BytesIO(after[0])).convert("RGB")).astype(float)
    source = explorer.reader.frame(int(explorer.frames[len(explorer.frames) // 2]))
    assert shown.shape == source.shape and np.abs(shown - source).mean() < 8
    explorer.step(1)
    assert explorer.slider.value == len(explorer.frames) // 2 + 1


@pytest.mark.slow
def test_jump_to_strongest_moment(explorer):
    from emohelpers.summaries.moments import strongest_moments

    moments = strongest_moments(explorer.table)
    for emotion in ("happy", "sad"):
        frame = moments[(moments["person"] == 1.0) & (moments["emotion"] == emotion)]["frame"]
        position = explorer.jump_to_strongest(1.0, emotion)
        assert explorer.frames[position] == int(frame.iloc[0])
        assert explorer.slider.value == position
    assert explorer.go_to_time(10.0) == int(np.argmin(np.abs(explorer.times_s - 10.0)))


@pytest.mark.slow
def test_segment_with_sound_and_saliency_and_reel(explorer):
    explorer.go_to_time(19.5)  # near the end: the segment is shifted to fit
    start, end = explorer.segment_around()
    assert end - start == pytest.approx(explorer.span.value, abs=1e-6)
    assert end <= explorer.reader.times_s[-1] + 1e-2
    path = explorer.play_segment()
    with av.open(str(path)) as c:
        assert c.streams.video and c.streams.audio
    assert len(explorer.player.outputs) == 1
    fig = explorer.show_saliency()
    assert fig is not None and len(fig.data) >= 1 and len(explorer.saliency.outputs) == 1
    video = explorer.reel("happy")
    assert "<video" in video._repr_html_() and "controls" in video._repr_html_()


@pytest.mark.slow
def test_an_explorer_of_a_table_alone_shows_a_saliency_map(explorer, tmp_path):
    """A bare emotion table (no provenance) explains with the offline model's defaults."""
    from emohelpers.lab.explorer import ClipExplorer

    bare = ClipExplorer(explorer.video, explorer.table.copy(), work_dir=tmp_path)
    try:
        bare.go_to_time(10.0)
        fig = bare.show_saliency()
        assert fig is not None and len(fig.data) >= 1 and len(bare.saliency.outputs) == 1
        assert bare._load_classifier().info()["name"] == "mini-xception"
    finally:
        bare.close()
