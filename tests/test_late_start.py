"""Every time in every output is on one clock, what a player shows (issue 17): a frame's
presentation time minus the container's start. Checked on a clip whose video starts 0.85 s
after its sound, against PyAV's own frame times and the beeps of its sound track."""

from __future__ import annotations

import numpy as np
import pytest

from emohelpers.figures import radar_panel
from tests.late_start import (
    BEEPS_S,
    CUT_AT_S,
    VIDEO_DELAY_S,
    beep_onsets,
    make_late_start_clip,
    player_frame_times,
    player_frames,
)

EVERY_N = 4


@pytest.fixture(scope="module")
def late(sample_dir, tmp_path_factory):
    """(clip, PyAV frame times, its analysis)."""
    from emohelpers.analysis.pipeline import analyze

    clip = make_late_start_clip(sample_dir, tmp_path_factory.mktemp("late") / "late.mp4")
    analysis = analyze(clip, model="mini-xception", every_n=EVERY_N, progress=False)
    return clip, player_frame_times(clip), analysis


@pytest.fixture
def no_kaleido(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("no Chrome in this test")

    radar_panel.radar_background.cache_clear()
    monkeypatch.setattr(radar_panel, "_kaleido_png", refuse)
    yield
    radar_panel.radar_background.cache_clear()


def closest(rgb, candidates: dict[int, np.ndarray]) -> int:
    """The index of the candidate picture most like `rgb` (mean absolute difference)."""
    rgb = rgb.astype(np.float32)
    return min(candidates, key=lambda i: np.abs(candidates[i].astype(np.float32) - rgb).mean())


def first_picture(path):
    import av

    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")


def test_the_clip_starts_its_video_late(late):
    clip, times, _ = late
    assert times[0] == pytest.approx(VIDEO_DELAY_S, abs=1e-6)
    np.testing.assert_allclose(beep_onsets(clip), BEEPS_S, atol=2e-3)


def test_table_times_are_player_times(late):
    _, times, analysis = late
    table = analysis.table
    frames = table["frame"].to_numpy()
    np.testing.assert_allclose(table["time_s"], times[frames], atol=1e-6)
    assert table["time_s"].iloc[0] == pytest.approx(VIDEO_DELAY_S, abs=1e-6)
    assert sorted(set(frames)) == list(range(0, len(times), EVERY_N))


def test_shot_cut_is_on_the_player_clock(late):
    _, times, analysis = late
    table, prov = analysis
    cut = CUT_AT_S + VIDEO_DELAY_S
    assert prov.tracker["shots"]["cuts_s"] == [pytest.approx(cut, abs=0.05)]
    second = table.loc[table["shot"] == 1, "time_s"]
    assert second.min() == pytest.approx(cut, abs=EVERY_N / 24)
    assert table.loc[table["shot"] == 0, "time_s"].max() < cut


def test_voice_windows_start_at_the_sound_not_before(late):
    clip, _, analysis = late
    voice = analysis.voice
    assert analysis.provenance.voice["status"] == "ok"
    assert voice["start_s"].min() == pytest.approx(0.0, abs=1e-6)
    import av

    with av.open(str(clip)) as c:
        sound_end = max(f.time + f.samples / f.sample_rate for f in c.decode(audio=0))
    assert (voice["start_s"] >= 0).all() and (voice["end_s"] <= sound_end + 1e-3).all()


def test_frame_reader_by_index_and_time(late):
    from emohelpers.analysis.frames import FrameReader

    clip, times, _ = late
    picks = [0, 1, 30, 59, 60, 61, len(times) - 1]
    expected = player_frames(clip, picks)
    with FrameReader(clip) as reader:
        np.testing.assert_allclose(reader.times_s, times, atol=1e-6)
        for i in picks:
            assert reader.index_at(times[i]) == i
            np.testing.assert_array_equal(reader.frame(i), expected[i])
        assert reader.index_at(1.0) == int(np.searchsorted(times, 1.0, side="right")) - 1


def test_iter_frames_times(late):
    from emohelpers.analysis.video import iter_frames

    clip, times, _ = late
    got = [(f.index, f.time_s) for f in iter_frames(clip, start_s=2.0, end_s=3.0)]
    expect = [(i, t) for i, t in enumerate(times) if 2.0 - 5e-7 <= t < 3.0]
    assert [i for i, _ in got] == [i for i, _ in expect]
    np.testing.assert_allclose([t for _, t in got], [t for _, t in expect], atol=1e-6)


@pytest.mark.slow
def test_segment_with_sound_is_cut_at_player_times(late, tmp_path):
    """What "play with sound" plays: the picture and the beep of [1.0, 2.0)."""
    from emohelpers.figures.reels import cut_segment

    clip, times, analysis = late
    out = cut_segment(clip, 1.0, 2.0, tmp_path / "seg.mp4", analysis.table)
    shown = int(np.searchsorted(times, 1.0 + 1e-6, side="right")) - 1
    near = player_frames(clip, range(max(0, shown - 30), min(len(times), shown + 30)))
    assert abs(closest(first_picture(out), near) - shown) <= 1
    # The beep at 1.0 s of the clip sounds at the segment's start, not 0.85 s later.
    np.testing.assert_allclose(beep_onsets(out)[:1], [0.0], atol=0.03)


@pytest.mark.slow
def test_reel_moments_pictures_and_sound_on_player_times(late, tmp_path):
    from emohelpers.figures.reels import highlight_reel

    clip, times, analysis = late
    table = analysis.table
    made = highlight_reel(clip, table, 1.0, "neutral", tmp_path / "reel.mp4", n=2, span_s=1.5)
    assert made is not None
    path, moments = made
    assert set(moments["time_s"]) <= set(table["time_s"])
    assert (moments["start_s"] >= 0).all() and (moments["end_s"] <= times[-1] + 0.05).all()
    # The reel's first picture is the source frame shown at the first moment's start.
    start = float(moments["start_s"].iloc[0])
    shown = int(np.searchsorted(times, start + 1e-6, side="right")) - 1
    near = player_frames(clip, range(max(0, shown - 30), min(len(times), shown + 30)))
    assert abs(closest(first_picture(path), near) - shown) <= 1
    # At each moment's peak the reel shows the table's frame of that moment.
    import av

    with av.open(str(path)) as c:
        reel = [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    for r in moments.itertuples():
        at = r.reel_start_s + r.time_s - r.start_s
        rgb = min(reel, key=lambda tf: abs(tf[0] - reel[0][0] - at))[1]
        near = player_frames(clip, range(max(0, r.frame - 30), min(len(times), r.frame + 30)))
        assert abs(closest(rgb, near) - r.frame) <= 1
    # Each beep inside a moment sounds at its place in the reel.
    expected = [
        r.reel_start_s + b - r.start_s
        for r in moments.itertuples()
        for b in BEEPS_S
        if r.start_s <= b < r.end_s - 0.05
    ]
    got = beep_onsets(path)
    assert len(expected) >= 1
    np.testing.assert_allclose(got[: len(expected)], expected, atol=0.03)


@pytest.mark.slow
def test_annotated_video_frames_and_sound_on_player_times(late, tmp_path, no_kaleido):
    from emohelpers.figures.render import render_annotated_video

    clip, times, analysis = late
    table = analysis.table
    out = render_annotated_video(clip, table, tmp_path / "annotated.mp4", progress=False)
    t0 = float(table["time_s"].iloc[0])
    got = player_frame_times(out)
    np.testing.assert_allclose(got - got[0] + t0, np.unique(table["time_s"]), atol=2e-3)
    beeps = [b - t0 for b in BEEPS_S if b >= t0]
    np.testing.assert_allclose(beep_onsets(out) - got[0], beeps[: len(beep_onsets(out))], atol=0.03)
