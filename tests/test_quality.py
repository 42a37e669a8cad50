"""Face quality: a real face from a sample clip reads as readable; its damaged copies do not."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from emohelpers.analysis.quality import (
    ASPECTS,
    face_quality,
    pose_score,
    sharpness_ratio,
    size_score,
)


@pytest.fixture(scope="module")
def real_face(sample_dir):
    """One face of WolfgangLanger_Pexels.mp4 (frame 300): crop, box, detector probability."""
    from emohelpers.analysis.detect import FaceDetector, crop_faces
    from emohelpers.analysis.frames import read_frames

    frame = read_frames(sample_dir / "WolfgangLanger_Pexels.mp4", [300])[300]
    det = FaceDetector().detect([frame])[0]
    assert len(det) == 1
    crop = crop_faces(frame, det.xyxy, 0.1)[0]
    assert det.landmarks is not None and det.landmarks.shape == (1, 5, 2)
    return crop, det.xyxy, det.det_prob, det.landmarks


def test_a_focused_frontal_face_is_readable(real_face):
    crop, xyxy, p, marks = real_face
    q, aspects = face_quality(xyxy, p, [crop], marks)
    assert set(aspects) == set(ASPECTS)
    assert aspects["pose"][0] > 0.9  # the detector's own landmarks: a frontal face
    assert q.shape == (1,) and q[0] > 0.85


def test_blur_darkness_and_a_small_box_each_lower_the_quality(real_face):
    crop, xyxy, p, _ = real_face
    img = Image.fromarray(crop)
    blurred = np.asarray(img.resize((20, 20)).resize(img.size, Image.Resampling.BILINEAR))
    dark = (crop.astype(np.float64) * 0.04).astype(np.uint8)
    small = np.array([[0, 0, 20, 22]], np.float32)
    q_ok, _ = face_quality(xyxy, p, [crop])
    q_blur, a_blur = face_quality(xyxy, p, [blurred])
    q_dark, a_dark = face_quality(xyxy, p, [dark])
    q_small, a_small = face_quality(small, p, [crop])
    q_unsure, a_unsure = face_quality(xyxy, np.array([0.81], np.float32), [crop])
    assert a_blur["sharpness"][0] < 0.2 and q_blur[0] < 0.5 * q_ok[0]
    assert a_dark["exposure"][0] == 0 and q_dark[0] < 0.2
    assert a_small["size"][0] == 0 and q_small[0] < 0.5
    assert a_unsure["det_prob"][0] < 0.1 and q_unsure[0] < 0.6


def test_sharpness_is_contrast_invariant(real_face):
    gray = np.asarray(Image.fromarray(real_face[0]).convert("L").resize((64, 64)), float)
    flat = gray * 0.3 + 80
    assert sharpness_ratio(flat) == pytest.approx(sharpness_ratio(gray), rel=1e-6)
    blurred = np.asarray(Image.fromarray(gray.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3)))
    assert sharpness_ratio(blurred) < 0.3 * sharpness_ratio(gray)


@pytest.mark.parametrize(
    "nose_dx, roll_deg, expected",
    [(0.0, 0.0, 1.0), (0.1, 10.0, 1.0), (0.3, 0.0, 0.5), (0.5, 0.0, 0.0), (0.0, 45.0, 0.0)],
)
def test_pose_from_landmarks(nose_dx, roll_deg, expected):
    # Eyes 40 px apart, nose below their midpoint, shifted along the eye line by nose_dx.
    r = np.radians(roll_deg)
    u, v = np.array([np.cos(r), np.sin(r)]), np.array([-np.sin(r), np.cos(r)])
    left, right = np.array([100.0, 100.0]), np.array([100.0, 100.0]) + 40 * u
    mid = (left + right) / 2
    nose = mid + nose_dx * 40 * u + 20 * v
    pts = np.stack([left, right, nose, mid + 40 * v - 12 * u, mid + 40 * v + 12 * u])[None]
    assert pose_score(pts, 1)[0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("side, expected", [(10, 0.0), (24, 0.0), (72, 1.0), (300, 1.0)])
def test_size_ramp(side, expected):
    assert size_score(np.array([[0, 0, side, side + 5]]))[0] == pytest.approx(expected)


def test_no_faces_and_mismatched_lengths():
    q, aspects = face_quality(np.zeros((0, 4)), np.zeros(0), [])
    assert q.shape == (0,) and all(a.shape == (0,) for a in aspects.values())
    with pytest.raises(ValueError, match="expected 2 boxes"):
        face_quality(np.zeros((1, 4)), np.zeros(1), [np.zeros((8, 8, 3), np.uint8)] * 2)
