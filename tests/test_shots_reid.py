"""Shot cuts (HSV content change) and re-identification's merging of tracks: pure cases."""

import numpy as np
import pytest

from emohelpers.analysis.tracking.reid import merge_tracks
from emohelpers.analysis.tracking.shots import ShotDetector, content_change, hsv


@pytest.mark.parametrize(
    "rgb, expected",
    [
        ((255, 0, 0), (0, 255, 255)),
        ((0, 255, 0), (60, 255, 255)),
        ((0, 0, 255), (120, 255, 255)),
        ((255, 0, 255), (150, 255, 255)),
        ((128, 128, 128), (0, 0, 128)),
        ((0, 0, 0), (0, 0, 0)),
        ((255, 128, 0), (30 * 128 / 255, 255, 255)),
    ],
)
def test_hsv_uses_opencv_scales(rgb, expected):
    out = hsv(np.array([[rgb]], dtype=np.uint8))[0, 0]
    assert out == pytest.approx(expected, abs=1e-3)


def test_content_change_is_the_mean_absolute_hsv_change():
    a = hsv(np.zeros((2, 2, 3), np.uint8))
    b = hsv(np.full((2, 2, 3), 90, np.uint8))  # grey: hue 0, saturation 0, value 90
    assert content_change(a, b) == pytest.approx(30.0)


def thumbs(levels):
    return [np.full((36, 64, 3), v, np.uint8) for v in levels]


def test_shot_detector_finds_a_cut_at_its_frame_and_ignores_one_too_soon():
    det = ShotDetector(threshold=27.0, min_shot_s=0.5)
    # 0.1 s per frame; grey level jumps by 100 (change 33.3 > 27) at frames 5, 7 and 12;
    # frame 7 comes 0.2 s after the cut at 5 (shorter than min_shot_s) and is ignored.
    levels = [0] * 5 + [100] * 2 + [200] * 5 + [100] * 3
    shots = [det.update_rgb(t, i, 0.1 * i) for i, t in enumerate(thumbs(levels))]
    assert shots == [0] * 5 + [1] * 7 + [2] * 3
    assert det.cuts == [(5, 0.5), (12, pytest.approx(1.2))]
    assert det.info()["cuts_frame"] == [5, 12]


def test_small_changes_are_not_cuts():
    det = ShotDetector(threshold=27.0)
    levels = np.arange(0, 200, 20)  # change 6.7 per frame: a fade, not a cut
    assert {det.update_rgb(t, i, 0.1 * i) for i, t in enumerate(thumbs(levels))} == {0}


def emb(*v):
    return np.array(v, dtype=np.float64)


def test_merge_tracks_joins_the_same_face_and_numbers_by_first_appearance():
    # Rows: track 2 first (frames 0-1), then track 1 (frames 2-3), then 3 (frame 4) and 4.
    track = np.array([2, 2, np.nan, 1, 1, 3, 4])
    frame = np.array([0, 1, 2, 2, 3, 4, 5])
    e = {2: emb(0, 0), 1: emb(1, 0), 3: emb(0.1, 0), 4: emb(0.95, 0.1)}
    # 2~3 (0.1), 1~4 (0.11), 2-1 far (1.0): persons by first appearance: {2, 3} -> 1.
    assert merge_tracks(track, frame, e, 0.6) == {2: 1, 3: 1, 1: 2, 4: 2}
    assert merge_tracks(track, frame, e, 0.05) == {2: 1, 1: 2, 3: 3, 4: 4}


def test_merge_tracks_never_joins_two_faces_of_one_frame():
    # Tracks 1 and 2 are look-alikes but appear together in frame 1; 3 is like both.
    track = np.array([1, 1, 2, 3])
    frame = np.array([0, 1, 1, 2])
    e = {1: emb(0, 0), 2: emb(0.05, 0), 3: emb(0.02, 0)}
    out = merge_tracks(track, frame, e, 0.6)
    assert out[1] != out[2]
    assert out == {1: 1, 2: 2, 3: 1}  # 3 is closer to 1 (0.02) than to 2 (0.03)


def test_merge_tracks_leaves_tracks_without_a_face_descriptor_alone():
    track = np.array([1, 2, 3])
    frame = np.array([0, 1, 2])
    assert merge_tracks(track, frame, {1: emb(0, 0), 3: emb(0, 0)}, 0.6) == {1: 1, 2: 2, 3: 1}
    assert merge_tracks(np.array([np.nan]), np.array([0]), {}, 0.6) == {}


def test_only_tracks_that_could_merge_need_a_face_descriptor():
    from emohelpers.analysis.tracking.reid import mergeable_tracks

    # 1 and 2 always together, 3 alone later: 3 could join 1 or 2, and they it.
    assert mergeable_tracks(np.array([1, 2, 1, 2, 3]), np.array([0, 0, 1, 1, 2])) == {1, 2, 3}
    assert mergeable_tracks(np.array([1, 2, 1, 2]), np.array([0, 0, 1, 1])) == set()
    assert mergeable_tracks(np.array([1, 1, np.nan]), np.array([0, 1, 2])) == set()


def test_missing_re_identification_models_fail_before_the_analysis(tmp_path, monkeypatch):
    from emohelpers.analysis.tracking.persons import Persons
    from emohelpers.core.errors import ModelLoadError
    from emohelpers.core.settings import TrackerSettings

    # An empty cache and a pip that cannot reach any index: the models cannot be had.
    monkeypatch.setenv("EMOHELPERS_CACHE", str(tmp_path))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(ModelLoadError, match="--no-reid"):
        Persons(TrackerSettings())
    Persons(TrackerSettings(reid=False))  # without re-identification nothing is needed
