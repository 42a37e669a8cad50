"""The annotated video keeps each frame at its own time and its sound in sync (issue 14,
case 3): a variable-frame-rate clip whose video starts after its sound, built here."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from emohelpers.figures import radar_panel
from emohelpers.figures.render import render_annotated_video
from emohelpers.figures.video_timing import frame_durations, schedule, stream_timing
from tests.helpers import make_table

#: The issue's example: frames at 0, 0.5, 1.0, 1.1, 1.2, 1.3 and 3.0 s.
TIMES = [0.0, 0.5, 1.0, 1.1, 1.2, 1.3, 3.0]
VIDEO_DELAY_S = 0.5  # the video stream starts this long after the sound
BEEP_AT_S = 1.0  # in video time: with the frame shown at 1.0 s
RATE = 16000
W, H = 64, 48


def grey(i: int) -> int:
    return 30 * i + 20


def make_vfr_clip(path):
    """H.264 frames at `TIMES` (grey level `grey(i)`), starting `VIDEO_DELAY_S` into the
    file, and a sound track from 0 that is silent except for a 1 kHz beep at `BEEP_AT_S`
    of video time."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=10)  # nominal; the pts decide
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.codec_context.time_base = Fraction(1, 1000)
        video.options = {"crf": "10", "bf": "0"}
        sound = out.add_stream("aac", rate=RATE)
        sound.layout = "mono"
        for i, t in enumerate(TIMES):
            frame = av.VideoFrame.from_ndarray(np.full((H, W, 3), grey(i), np.uint8), "rgb24")
            frame.pts, frame.time_base = round((t + VIDEO_DELAY_S) * 1000), Fraction(1, 1000)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        n = int((TIMES[-1] + VIDEO_DELAY_S + 1.0) * RATE)
        samples = np.zeros(n, np.float32)
        beep = int((BEEP_AT_S + VIDEO_DELAY_S) * RATE)
        samples[beep : beep + RATE // 5] = 0.5 * np.sin(np.arange(RATE // 5) * 2 * np.pi / 16)
        for start in range(0, n, 1024):
            chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], "fltp", "mono")
            chunk.sample_rate, chunk.pts = RATE, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode())
    return path


@pytest.fixture
def no_kaleido(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("no Chrome in this test")

    radar_panel.radar_background.cache_clear()
    monkeypatch.setattr(radar_panel, "_kaleido_png", refuse)
    yield
    radar_panel.radar_background.cache_clear()


def _video_frames(path):
    """(presentation times in s, mean grey of a patch of the picture) of each frame."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        start = s.start_time or 0
        out = []
        for f in c.decode(s):
            rgb = f.to_ndarray(format="rgb24")
            patch = rgb[-40:-10, rgb.shape[0] * W // H // 2 - 10 : rgb.shape[0] * W // H // 2]
            out.append((float((f.pts - start) * s.time_base), float(patch.mean())))
        return out


def _beep_onset_s(path):
    """Time of the first loud sample of the sound, seconds on the player's clock (its
    timestamp minus the container's start)."""
    with av.open(str(path)) as c:
        origin = (c.start_time or 0) / 1e6
        s = c.streams.audio[0]
        for f in c.decode(s):
            x = np.abs(f.to_ndarray()).max(axis=0)
            loud = np.flatnonzero(x > 0.2)
            if len(loud):
                return float(f.pts * s.time_base) - origin + loud[0] / f.sample_rate
    return None


def _audio_duration_s(path):
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        return float(s.duration * s.time_base)


def _beep_in_video_time(clip):
    """When the source's beep sounds, in seconds after its first frame is shown."""
    return _beep_onset_s(clip) - stream_timing(clip)[1]


def vfr_table(clip):
    """The clip's table: its frames at `TIMES` after its first one, on the player's clock."""
    start = stream_timing(clip)[1]
    return make_table((i, start + t, 0, "happy") for i, t in enumerate(TIMES))


def test_the_clip_is_what_the_test_needs(tmp_path):
    clip = make_vfr_clip(tmp_path / "vfr.ts")
    time_base, start_s = stream_timing(clip)
    # MPEG-TS keeps each stream's own start (the muxer adds a few ms of its own): on the
    # player's clock the first frame is shown about 0.5 s after the sound starts.
    assert start_s == pytest.approx(VIDEO_DELAY_S, abs=0.1)
    assert _beep_in_video_time(clip) == pytest.approx(BEEP_AT_S, abs=0.01)
    from emohelpers.analysis.video import iter_frames

    times = [f.time_s for f in iter_frames(clip)]
    np.testing.assert_allclose(times, np.array(TIMES) + start_s, atol=1e-3)


def test_vfr_frames_keep_their_times_and_the_sound_stays_in_sync(tmp_path, no_kaleido):
    clip = make_vfr_clip(tmp_path / "vfr.ts")
    out = render_annotated_video(clip, vfr_table(clip), tmp_path / "out.mp4", progress=False)
    frames = _video_frames(out)
    np.testing.assert_allclose([t for t, _ in frames], TIMES, atol=2e-3)
    # Each picture is the source frame of that time (grey levels survive the scaling).
    np.testing.assert_allclose([g for _, g in frames], [grey(i) for i in range(7)], atol=4)
    # The beep sounds when the frame at 1.0 s is shown, not 0.5 s earlier.
    assert _beep_onset_s(out) == pytest.approx(_beep_in_video_time(clip), abs=0.03)
    # The sound lasts as long as the pictures: up to 3.0 s plus the last frame's time.
    assert _audio_duration_s(out) == pytest.approx(3.0 + 0.3, abs=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4", "vfr.ts"]


def test_a_constant_rate_repeats_and_drops_frames_by_time(tmp_path, no_kaleido):
    clip = make_vfr_clip(tmp_path / "vfr.ts")
    out = render_annotated_video(clip, vfr_table(clip), tmp_path / "out.mp4", fps=4, progress=False)
    frames = _video_frames(out)
    times = [t for t, _ in frames]
    np.testing.assert_allclose(times, np.arange(len(times)) / 4, atol=2e-3)
    # At k/4 s the last source frame at or before it: 0, 0, 1, 1, 2, 4 (1.1 s dropped)...
    shown = [int(np.searchsorted(TIMES, t + 1e-6, side="right") - 1) for t in times]
    assert shown[:6] == [0, 0, 1, 1, 2, 4]
    np.testing.assert_allclose([g for _, g in frames], [grey(i) for i in shown], atol=4)
    assert _beep_onset_s(out) == pytest.approx(_beep_in_video_time(clip), abs=0.03)


@pytest.mark.parametrize(
    "times, fps, expected",
    [
        ([0.0, 0.5, 1.0], 0.0, [0.5, 0.5, 0.5]),
        ([0.0, 0.5, 1.0, 1.1, 1.2, 1.3, 3.0], 0.0, [0.5, 0.5, 0.1, 0.1, 0.1, 1.7, 0.3]),
        ([2.0], 25.0, [0.04]),
        ([2.0], 0.0, [0.04]),  # no frame rate: a lone frame still gets a duration
        ([1.0, 1.0], 0.0, [0.0, 0.04]),
    ],
)
def test_frame_durations(times, fps, expected):
    np.testing.assert_allclose(frame_durations(np.array(times), fps), expected)


def test_schedule_at_the_sources_times_never_divides_by_zero():
    plan = schedule(np.array([5.0]), time_base=None, source_fps=0.0)
    assert plan.pts.tolist() == [0] and plan.rate > 0 and plan.duration_s > 0
    plan = schedule(np.array(TIMES) + 2, time_base=Fraction(1, 1000))
    assert plan.pts.tolist() == [0, 500, 1000, 1100, 1200, 1300, 3000]
    assert plan.start_s == 2 and plan.duration_s == pytest.approx(3.3)
    # Times closer than one tick still get distinct, increasing pts.
    plan = schedule(np.array([0.0, 0.0001, 0.0002]), time_base=Fraction(1, 1000))
    assert plan.pts.tolist() == [0, 1, 2]


def test_schedule_at_a_constant_rate():
    plan = schedule(np.array(TIMES), fps=2)
    # Ticks 0, 0.5, ..., 3.0: frame 0 once, 1 once, 2 once (1.1-1.3 dropped), 6 once.
    assert plan.repeats.tolist() == [1, 1, 1, 0, 0, 3, 1]
    assert plan.pts.tolist() == [0, 1, 2, 3, 3, 3, 6]
    assert plan.time_base == Fraction(1, 2) and plan.duration_s == pytest.approx(3.5)
