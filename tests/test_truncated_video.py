"""A cut or damaged video: the early end is detected, warned about and recorded (issue 14,
case 2), and complete clips are never flagged."""

from __future__ import annotations

import logging
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from emohelpers.analysis.video import DecodeStatus, ends_early, iter_frames

N_FRAMES, FPS = 15, 12


@pytest.fixture(scope="module")
def faststart(tmp_path_factory):
    """A 15-frame H.264 mp4 with its index at the front, as web encoders write them."""
    path = tmp_path_factory.mktemp("trunc") / "faststart.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=160x120:rate={FPS}",
            "-frames:v",
            str(N_FRAMES),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "4",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path


def _cut(src, dst, fraction):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def test_complete_clip_is_not_truncated(faststart, caplog):
    status = DecodeStatus()
    with caplog.at_level(logging.WARNING):
        frames = list(iter_frames(faststart, status=status))
    assert len(frames) == N_FRAMES and not status.truncated
    assert status.decoded_until_s == pytest.approx((N_FRAMES - 1) / FPS)
    assert not [r for r in caplog.records if "ends early" in r.getMessage()]


def test_half_a_faststart_mp4_is_flagged_with_one_warning(faststart, tmp_path, caplog):
    half = _cut(faststart, tmp_path / "half.mp4", 0.5)
    status = DecodeStatus()
    with caplog.at_level(logging.WARNING):
        frames = list(iter_frames(half, status=status))
    # The container still claims 15 frames and 1.25 s; the bytes hold far fewer.
    assert 0 < len(frames) < N_FRAMES - 3
    assert status.truncated and status.claimed_s == pytest.approx(N_FRAMES / FPS)
    assert status.decoded_until_s == pytest.approx(frames[-1].time_s)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "half.mp4" in warnings[0] and "ends early" in warnings[0]
    assert str(tmp_path) not in warnings[0]  # the file's name, not this machine's path


def test_a_decoder_error_mid_stream_keeps_the_frames_before_it(faststart, tmp_path):
    data = bytearray(faststart.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 3000] = np.random.default_rng(0).integers(0, 256, 3000, np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    status = DecodeStatus()
    frames = list(iter_frames(damaged, status=status))
    assert status.truncated and 0 < len(frames) < N_FRAMES
    assert status.decoded_until_s < N_FRAMES / FPS - 0.2


def test_a_time_range_that_ends_inside_the_clip_is_not_truncation(faststart):
    status = DecodeStatus()
    frames = list(iter_frames(faststart, end_s=0.5, status=status))
    assert len(frames) == 6 and not status.truncated


@pytest.mark.parametrize(
    "until, claimed, fps, end_s, early",
    [
        (19.645, 19.685, 23.976, None, False),  # the sample clip: the last frame's display time
        (3.917, 3.945, 23.67, None, False),  # no_face.mp4 claims 98 frames, decodes 95
        (0.25, 1.25, 12, None, True),
        (0.9, 1.25, 12, None, True),
        (1.08, 1.25, 12, None, False),  # within two frame periods
        (0.45, 1.25, 12, 0.5, False),  # the requested range ends at 0.5 s
        (0.2, 1.25, 12, 1.0, True),
        (0.25, 1.25, 0, None, True),  # no frame rate: 0.2 s of slack
        (0.25, 0.0, 12, None, False),  # no claimed duration: nothing to compare with
        (None, 1.25, 12, None, False),
    ],
)
def test_ends_early(until, claimed, fps, end_s, early):
    assert ends_early(until, claimed, fps, end_s) is early


def test_sample_clips_are_complete(sample_dir):
    for clip in sorted(sample_dir.iterdir()):
        status = DecodeStatus()
        for _ in iter_frames(clip, every_n=1000, status=status):
            pass
        assert not status.truncated, (clip.name, status)
        assert status.frames_decoded > 0


def test_analysis_records_the_early_end(faststart, tmp_path):
    from emohelpers.analysis.pipeline import analyze

    half = _cut(faststart, tmp_path / "half.mp4", 0.5)
    video = analyze(half, model="mini-xception", progress=False).provenance.video
    assert video["truncated"] is True
    assert video["decoded_until_s"] < 0.5 and video["duration_s"] == pytest.approx(1.25)
    full = analyze(faststart, model="mini-xception", progress=False).provenance.video
    assert full["truncated"] is False
    assert full["decoded_until_s"] == pytest.approx((N_FRAMES - 1) / FPS)
