"""Memory on high-resolution video (issue 14, case 4): frames in flight are bounded by
bytes, so a 4K clip holds a few frames at a time, not dozens. The peak-RSS target (< 2 GiB
at any resolution) is measured by the benchmark (`benchmarks/run.py`, step memory_4k)."""

from __future__ import annotations

import subprocess
import sys

import imageio_ffmpeg
import pytest

from emohelpers.analysis.detect import FaceDetector
from emohelpers.analysis.video import DecodeStatus, frames_within, iter_frames

UHD = (3840, 2160)
UHD_FRAME_BYTES = UHD[0] * UHD[1] * 3  # 24.9 MB


@pytest.fixture(scope="module")
def uhd_clip(tmp_path_factory):
    """24 frames of 3840x2160 test pattern (1 s at 24 fps)."""
    path = tmp_path_factory.mktemp("uhd") / "uhd.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={UHD[0]}x{UHD[1]}:rate=24",
            "-frames:v",
            "24",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.mark.parametrize(
    "budget, size, wanted, expected",
    [
        (64 * 2**20, (640, 360), 8, 8),
        (64 * 2**20, (3840, 2160), 8, 2),
        (128 * 2**20, (3840, 2160), 16, 5),
        (128 * 2**20, (1920, 1080), 16, 16),
        (1, (7680, 4320), 16, 1),  # never 0
    ],
)
def test_frames_within(budget, size, wanted, expected):
    assert frames_within(budget, *size, wanted) == expected


def test_detector_calls_shrink_where_the_pyramid_is_large():
    detector = FaceDetector(batch_size=16)  # min face 40 px, detection at 960 px
    assert detector.frames_per_call(360, 640) == 16
    # At 4K the 40 px minimum face is 10 px at 960 px: the pyramid starts at full 960x540.
    assert detector.frames_per_call(2160, 3840) < 16 / 4
    assert FaceDetector(batch_size=1).frames_per_call(4320, 7680) == 1


def test_the_decoder_stays_a_few_4k_frames_ahead(uhd_clip):
    status = DecodeStatus()
    ahead = []
    for frame in iter_frames(uhd_clip, status=status):
        ahead.append(status.frames_decoded - (frame.index + 1))
    # 64 MB of 24.9 MB frames: 2 in the queue, one being handed over, one being decoded.
    assert max(ahead) <= 4


_RSS_CHILD = """
import resource, sys
from emohelpers.analysis.pipeline import analyze
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
kwargs = dict(model="mini-xception", progress=False, detector={"min_face_px": 400})
analyze(sys.argv[2], end_s=0.5, **kwargs)  # models, libraries, buffers: the baseline
base = peak()
analyze(sys.argv[1], **kwargs)
print(peak() - base)
"""


@pytest.mark.slow
def test_a_4k_analysis_holds_a_few_frames_not_dozens(uhd_clip, sample_dir):
    """Peak RSS added by 1 s of 4K over a small clip's analysis, in a fresh process.

    Before the bounds: 16 frames per detector batch, 8 decoded ahead and up to two more
    batches waiting for the classifier: the whole 24-frame clip and more (+980 MB here).
    After: +640 MB (a few frames, the decoder's own buffers and the detector's downscaling).
    """
    small = sample_dir / "WolfgangLanger_Pexels.mp4"
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(uhd_clip), str(small)],
        capture_output=True,
        text=True,
        check=True,
    )
    added = int(done.stdout.strip().splitlines()[-1])
    assert added < 32 * UHD_FRAME_BYTES, f"+{added / 2**20:.0f} MB for 1 s of 4K"
