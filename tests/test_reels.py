"""Moments as clips: which moments a reel takes (pure), and the reel itself checked with
PyAV on the real sample clip: duration, H.264 yuv420p video + AAC sound, frame times."""

from __future__ import annotations

import av
import numpy as np
import pytest
from helpers import make_table, steady_rows

from emohelpers.core.errors import ParameterError
from emohelpers.figures.reels import cut_segment, highlight_reel, reel_moments


def ramp_table():
    """Person 1 at 4 fps for 10 s; happy peaks at 2.0 s (0.9), 2.25 s (0.8, too close),
    7.0 s (0.7) and 9.75 s (0.6, at the end)."""
    happy = {8: 0.9, 9: 0.8, 28: 0.7, 39: 0.6}
    probs = [{"happy": happy.get(i, 0.1), "neutral": 1 - happy.get(i, 0.1)} for i in range(40)]
    return make_table(steady_rows(1, probs, fps=4.0))


@pytest.mark.parametrize(
    ("n", "span_s", "expected_times"),
    [
        (1, 2.0, [2.0]),
        (3, 2.0, [2.0, 7.0, 9.75]),  # 2.25 overlaps the 2.0 segment: skipped
        (3, 0.2, [2.0, 2.25, 7.0]),  # short segments: 2.25 no longer overlaps
        (9, 2.0, None),  # as many as fit without overlap, all in the video
    ],
)
def test_reel_moments(n, span_s, expected_times):
    got = reel_moments(ramp_table(), 1, "happy", n=n, span_s=span_s, duration_s=10.0)
    if expected_times is not None:
        assert got["time_s"].tolist() == expected_times
    assert got["time_s"].is_monotonic_increasing
    assert ((got["end_s"] - got["start_s"]) <= span_s + 1e-9).all()
    assert (got["start_s"] >= 0).all() and (got["end_s"] <= 10.0).all()
    starts, ends = got["start_s"].to_numpy(), got["end_s"].to_numpy()
    assert (starts[1:] >= ends[:-1] - 1e-9).all(), "segments overlap"
    if n == 3 and span_s == 2.0:  # the last peak's segment is shifted to end with the video
        assert got["end_s"].iloc[-1] == 10.0 and got["start_s"].iloc[-1] == 8.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"emotion": "joy"}, "emotion='joy'"), ({"n": 0}, "n=0"), ({"span_s": 0.0}, "span_s=0.0")],
)
def test_reel_moments_rejects(kwargs, message):
    args = {"person": 1, "emotion": "happy", **kwargs}
    with pytest.raises(ParameterError, match=message):
        reel_moments(ramp_table(), **args)


def test_reel_moments_unknown_person_is_empty():
    assert reel_moments(ramp_table(), 7, "happy").empty


@pytest.fixture(scope="module")
def wolf(sample_dir, tmp_path_factory):
    from emohelpers.analysis.pipeline import analyze

    video = sample_dir / "WolfgangLanger_Pexels.mp4"
    table, _ = analyze(video, model="mini-xception", every_n=6, progress=False)
    return video, table


def streams(path):
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = (
            v.codec_context.name,
            v.codec_context.pix_fmt,
            a.codec_context.name,
            float(v.average_rate),
        )
        times = [float(f.pts * f.time_base) for f in c.decode(v)]
        audio_s = float(a.duration * a.time_base)
    return info, np.array(times), audio_s


@pytest.mark.slow
def test_highlight_reel_streams_duration_and_frame_times(wolf, tmp_path):
    video, table = wolf
    path, moments = highlight_reel(video, table, 1.0, "happy", tmp_path / "reel.mp4", n=3)
    assert path.is_file() and not list(tmp_path.glob("*.part*"))
    assert len(moments) == 3 and moments["reel_start_s"].tolist() == [0.0, 2.0, 4.0]
    (vcodec, pix, acodec, fps), times, audio_s = streams(path)
    assert (vcodec, pix, acodec) == ("h264", "yuv420p", "aac")
    assert fps == pytest.approx(24000 / 1001, rel=1e-3)
    # 3 moments of 2 s: 6 s of pictures at the source rate, evenly spaced, and 6 s of sound.
    assert len(times) == pytest.approx(6.0 * fps, abs=1.5)
    np.testing.assert_allclose(np.diff(times), 1 / fps, atol=2e-3)
    assert times[0] == pytest.approx(0.0, abs=1e-3)
    assert audio_s == pytest.approx(6.0, abs=0.1)
    # The reel's first frame is the source frame at the first moment's start, boxes drawn.
    with av.open(str(path)) as c:
        first = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    from emohelpers.analysis.frames import FrameReader

    with FrameReader(video) as reader:
        src = reader.frame(reader.index_at(moments["start_s"].iloc[0])).astype(float)
    assert np.abs(first - src).mean() < 12  # the same picture, re-encoded, plus a box


@pytest.mark.slow
def test_cut_segment_with_sound(wolf, tmp_path):
    video, table = wolf
    out = cut_segment(video, 3.0, 4.5, tmp_path / "seg.mp4", table)
    (vcodec, pix, acodec, fps), times, audio_s = streams(out)
    assert (vcodec, pix, acodec) == ("h264", "yuv420p", "aac")
    assert len(times) == pytest.approx(1.5 * fps, abs=1.5) and audio_s == pytest.approx(
        1.5, abs=0.1
    )
    with pytest.raises(ParameterError, match="empty"):
        cut_segment(video, 30.0, 31.0, tmp_path / "none.mp4")


@pytest.mark.slow
def test_report_reels_section(wolf, tmp_path):
    from emohelpers.analysis.table import Analysis
    from emohelpers.report.parameters import check_parameters
    from emohelpers.report.reels_section import reel_choices, show_reels

    video, table = wolf
    analysis = Analysis(table)
    choices = reel_choices(analysis, per_person=2)
    assert [c[:2] for c in choices][:1] == [(1.0, "happy")] and len(choices) == 2
    assert all(c[1] != "neutral" and c[2] > 1 / 7 for c in choices)
    params = check_parameters(video=str(video), out_dir=str(tmp_path), model="mini-xception")
    made = show_reels(analysis, params, per_person=2)
    assert sorted(made) == sorted(c[:2] for c in choices)
    for path in made.values():
        assert path.parent == tmp_path / "reels" and streams(path)[0][:3] == (
            "h264",
            "yuv420p",
            "aac",
        )
