"""Video reading: streaming, sampling, exact times, rotation, and every bad input's error."""

import numpy as np
import pytest

from emohelpers.analysis.video import iter_frames, list_videos, probe_video
from emohelpers.core.errors import ParameterError, VideoReadError
from tests.media import make_audio_only, make_video, rotated_copy


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("v") / "grey.mp4", n_frames=12, fps=12)


def test_probe(clip):
    info = probe_video(clip)
    assert (info.width, info.height, info.n_frames) == (64, 48, 12)
    assert info.fps == pytest.approx(12, rel=1e-3)
    assert info.rotation == 0 and not info.has_audio


def test_all_frames_in_order_with_times(clip):
    frames = list(iter_frames(clip))
    assert [f.index for f in frames] == list(range(12))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(12) / 12, atol=1e-3)
    # Frame i was written with grey level 10 * i: the right pixels come with the right index.
    np.testing.assert_allclose([f.rgb.mean() for f in frames], np.arange(12) * 10, atol=3)
    assert frames[0].rgb.shape == (48, 64, 3) and frames[0].rgb.dtype == np.uint8


@pytest.mark.parametrize(
    "kwargs, indices",
    [
        ({"every_n": 1}, list(range(12))),
        ({"every_n": 5}, [0, 5, 10]),
        ({"fps": 4}, [0, 3, 6, 9]),
        ({"fps": 100}, list(range(12))),  # faster than the source: every frame once
        ({"fps": 4, "start_s": 0.5}, [6, 9]),
        ({"every_n": 1, "end_s": 0.25}, [0, 1, 2]),
    ],
)
def test_sampling(clip, kwargs, indices):
    assert [f.index for f in iter_frames(clip, **kwargs)] == indices


@pytest.mark.parametrize(
    "kwargs", [{"every_n": 0}, {"every_n": 2.5}, {"fps": 0}, {"fps": -1}, {"every_n": 2, "fps": 3}]
)
def test_bad_sampling(clip, kwargs):
    with pytest.raises(ParameterError):
        next(iter_frames(clip, **kwargs))


def test_variable_frame_rate_times_come_from_the_decoder(tmp_path):
    times = [0.0, 0.05, 0.30, 0.32, 1.0, 1.5]
    clip = make_video(tmp_path / "vfr.mkv", n_frames=len(times), times_s=times)
    got = [f.time_s for f in iter_frames(clip)]
    np.testing.assert_allclose(got, times, atol=1e-3)
    # One frame per 0.25 s of presentation time, not per 0.25 s of frame count.
    assert [f.index for f in iter_frames(clip, fps=4)] == [0, 2, 4, 5]


def test_rotation_metadata_is_applied(tmp_path):
    src = make_video(tmp_path / "src.mp4", n_frames=3, size=(64, 48))
    rotated = rotated_copy(src, tmp_path / "rot.mp4")
    info = probe_video(rotated)
    assert info.rotation == 90 and (info.width, info.height) == (48, 64)
    assert next(iter_frames(rotated)).rgb.shape == (64, 48, 3)


def test_stopping_early_releases_the_decoder(clip):
    for f in iter_frames(clip, prefetch=1):
        if f.index == 2:
            break
    assert [f.index for f in iter_frames(clip)][-1] == 11


def _corrupt(tmp_path):
    p = tmp_path / "corrupt.mp4"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return p


def _empty(tmp_path):
    p = tmp_path / "empty.mp4"
    p.touch()
    return p


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda t: t / "missing.mp4", "no such file"),
        (_empty, "empty"),
        (_corrupt, "cannot be read as a video"),
        (lambda t: make_audio_only(t / "audio.m4a"), "no video stream"),
        (lambda t: t, "is a directory"),
    ],
)
def test_bad_inputs_name_the_file(tmp_path, make, message):
    path = make(tmp_path)
    for call in (probe_video, lambda p: next(iter_frames(p))):
        with pytest.raises(VideoReadError, match=message) as err:
            call(path)
        assert str(path) in str(err.value)


def test_truncated_file_is_an_error_not_silence(tmp_path, clip):
    data = clip.read_bytes()
    p = tmp_path / "truncated.mp4"
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(VideoReadError, match="truncated.mp4"):
        list(iter_frames(p))


def test_list_videos(tmp_path, clip):
    (tmp_path / "a.MOV").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "b.mp4").write_bytes(b"x")
    assert [p.name for p in list_videos(tmp_path)] == ["a.MOV", "b.mp4"]
