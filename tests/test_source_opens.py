"""One report opens its clip at most twice (issue 17): the analysis, every section that
reads frames or sound (radars, bars, gallery, explain, annotated video, reels) and the
index thumbnail, run in one process as the report's kernel runs them, counted by
`VideoSource` itself."""

from __future__ import annotations

import pytest

from emohelpers.analysis.source import VideoSource
from emohelpers.figures import radar_panel
from tests.late_start import make_late_start_clip


@pytest.fixture
def no_kaleido(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("no Chrome in this test")

    radar_panel.radar_background.cache_clear()
    monkeypatch.setattr(radar_panel, "_kaleido_png", refuse)
    yield
    radar_panel.radar_background.cache_clear()


@pytest.mark.slow
def test_a_report_opens_its_clip_at_most_twice(sample_dir, tmp_path, no_kaleido):
    from emohelpers.analysis.pipeline import load_or_analyze
    from emohelpers.report import sections as rs
    from emohelpers.report.explain_section import show_explain
    from emohelpers.report.parameters import check_parameters
    from emohelpers.report.reels_section import show_reels

    clip = make_late_start_clip(sample_dir, tmp_path / "late.mp4")
    out = tmp_path / "report"
    out.mkdir()
    params = check_parameters(
        video=str(clip), out_dir=str(out), model="mini-xception", every_n=12, gallery_size=4
    )
    before = VideoSource.open_count(clip)
    analysis = load_or_analyze(params.video, params.out_dir, params.settings, progress=False)
    assert analysis.voice is not None and len(analysis.table)
    assert rs.show_radars(analysis, params) and rs.show_bars(analysis, params)
    assert rs.show_gallery(analysis, params)
    assert rs.show_video(analysis, params).is_file()
    assert show_reels(analysis, params)
    assert show_explain(analysis, params)
    rs.record_key_figures(analysis, params)  # the last cell: key figures and the thumbnail
    assert (out / "key_figures.json").is_file() and (out / "thumb.jpg").is_file()
    assert VideoSource.open_count(clip) - before <= 2
    # A second report of the same clip reuses the saved analysis: no new open at all.
    again = VideoSource.open_count(clip)
    load_or_analyze(params.video, params.out_dir, params.settings, progress=False)
    rs.show_bars(analysis, params)
    assert VideoSource.open_count(clip) == again
