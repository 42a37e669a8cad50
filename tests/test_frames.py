"""The one frame reader: every frame of a source index equals `iter_frames`' frame of that
index (pixels, time, rotation), read in any order, on the real sample clips and on small
clips with short groups of pictures, B-frames, variable frame rate and rotation."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from emohelpers.analysis.frames import FrameReader, read_frames
from emohelpers.analysis.video import iter_frames
from emohelpers.core.errors import ParameterError, VideoReadError
from tests.media import rotated_copy


def make_gop_video(path: Path, n_frames: int = 40, gop: int = 6, times_s=None) -> Path:
    """An H.264 clip with a key frame every `gop` frames and B-frames; frame i has a
    distinct pattern (grey level and a bar at column 2 * i)."""
    w, h = 96, 64
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {
            "crf": "12",
            "g": str(gop),
            "keyint_min": str(gop),
            "bf": "2",
            "sc_threshold": "0",
        }
        for i in range(n_frames):
            img = np.full((h, w, 3), (7 * i) % 250, np.uint8)
            img[:, (2 * i) % w] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            t = times_s[i] if times_s is not None else i / 24
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def reference(path: Path) -> tuple[list[float], list[np.ndarray]]:
    frames = list(iter_frames(path))
    assert [f.index for f in frames] == list(range(len(frames)))
    return [f.time_s for f in frames], [f.rgb for f in frames]


def check_all_orders(path: Path, cache_frames: int = 4) -> FrameReader:
    times, rgbs = reference(path)
    reader = FrameReader(path, cache_frames=cache_frames)
    assert len(reader) == len(rgbs)
    np.testing.assert_allclose(reader.times_s, times, atol=1e-9)
    order = list(range(len(rgbs)))
    shuffled = random.Random(0).sample(order, len(order))
    for sequence in (order, order[::-1], shuffled):
        for i in sequence:
            got = reader.frame(i)
            assert np.array_equal(got, rgbs[i]), f"{path.name}: frame {i} differs"
    batch = read_frames(path, shuffled[: len(order) // 3] + [len(order) + 5, -1])
    assert sorted(batch) == sorted(shuffled[: len(order) // 3])
    for i, rgb in batch.items():
        assert np.array_equal(rgb, rgbs[i])
    return reader


def test_frames_equal_iter_frames_in_any_order_with_short_gops(tmp_path):
    reader = check_all_orders(make_gop_video(tmp_path / "gop.mp4"))
    assert reader.key_frames.tolist() == list(range(0, 40, 6))
    reader.close()


def test_variable_frame_rate_in_mkv(tmp_path):
    times = [0, 0.04, 0.3, 0.31, 0.5, 1.0, 1.02, 1.04, 1.5, 1.6, 2.0, 2.01, 2.5, 3.0]
    reader = check_all_orders(make_gop_video(tmp_path / "vfr.mkv", len(times), 4, times))
    assert reader.index_at(0.29) == 1 and reader.index_at(0.3) == 2 and reader.index_at(-1) == 0
    assert reader.index_at(99.0) == len(times) - 1
    reader.close()


def test_rotation_is_applied_as_iter_frames_does(tmp_path):
    src = make_gop_video(tmp_path / "src.mp4", n_frames=12, gop=4)
    rotated = rotated_copy(src, tmp_path / "rot.mp4")
    reader = check_all_orders(rotated)
    assert reader.frame(5).shape == (96, 64, 3)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["WolfgangLanger_Pexels.mp4", "no_face.mp4", "face_noface.mov", "noface_face.mov"],
)
def test_sample_clips_frame_exact(sample_dir, name):
    """H.264 with 3-second groups of pictures, an edit list that drops frames (no_face.mp4),
    HEVC in QuickTime."""
    path = sample_dir / name
    times, rgbs = reference(path)
    with FrameReader(path) as reader:
        np.testing.assert_allclose(reader.times_s, times, atol=1e-9)
        picks = random.Random(1).sample(range(len(rgbs)), 40) + [len(rgbs) - 1, 0]
        for i in picks:
            assert np.array_equal(reader.frame(i), rgbs[i]), f"{name}: frame {i} differs"
    every = read_frames(path, range(len(rgbs)))
    assert all(np.array_equal(every[i], rgbs[i]) for i in range(len(rgbs)))


def test_cache_keeps_the_last_frames(tmp_path):
    with FrameReader(make_gop_video(tmp_path / "c.mp4", 20, 5), cache_frames=3) as reader:
        first = reader.frame(7)
        assert reader.frame(7) is first  # from the cache
        for i in (8, 9, 10):
            reader.frame(i)
        assert reader.frame(7) is not first and np.array_equal(reader.frame(7), first)


def test_bad_inputs(tmp_path):
    with FrameReader(make_gop_video(tmp_path / "b.mp4", 10, 5)) as reader:
        with pytest.raises(ParameterError, match="frame 10 is outside the video"):
            reader.frame(10)
    with pytest.raises(ParameterError, match="cache_frames"):
        FrameReader(tmp_path / "b.mp4", cache_frames=-1)
    with pytest.raises(VideoReadError, match="no such file"):
        FrameReader(tmp_path / "missing.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video" * 100)
    with pytest.raises(VideoReadError, match="cannot be read as a video"):
        FrameReader(tmp_path / "junk.mp4")
    assert read_frames(tmp_path / "b.mp4", []) == {}
