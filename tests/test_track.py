"""Tracking: IoU, association and stable person ids."""

import numpy as np
import pytest

from emohelpers.analysis.track import Tracker, associate, iou
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import TrackerSettings


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
        ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),
        ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),  # degenerate boxes: no division by zero
    ],
)
def test_iou(a, b, expected):
    assert iou(np.array([a]), np.array([b]))[0, 0] == pytest.approx(expected)


def test_associate_is_one_to_one_best_first():
    tracks = np.array([[0, 0, 10, 10], [100, 0, 110, 10]])
    dets = np.array([[101, 0, 111, 10], [1, 0, 11, 10], [500, 500, 510, 510]])
    assert sorted(associate(tracks, dets, 0.3)) == [(0, 1), (1, 0)]
    assert associate(np.zeros((0, 4)), dets, 0.3) == []


def test_two_people_keep_their_ids_and_a_gap_is_tolerated():
    tr = Tracker(TrackerSettings(iou_min=0.25, max_gap_s=1.0))
    left, right = np.array([0, 0, 50, 50.0]), np.array([200, 0, 250, 50.0])
    assert list(tr.update(np.stack([left, right]), 0.0)) == [1, 2]
    # Order of detections swaps (largest first changes): ids follow the boxes.
    assert list(tr.update(np.stack([right + 2, left + 2]), 0.1)) == [2, 1]
    assert list(tr.update(np.zeros((0, 4)), 0.2)) == []  # nobody seen for a moment
    assert list(tr.update(np.stack([left + 4]), 0.9)) == [1]  # back within max_gap_s
    # Gone longer than max_gap_s: a new id.
    assert list(tr.update(np.stack([right]), 2.5)) == [3]


@pytest.mark.parametrize("kwargs", [{"iou_min": 0}, {"iou_min": 1.5}, {"max_gap_s": -1}])
def test_tracker_rejects_bad_settings(kwargs):
    with pytest.raises(ParameterError):
        Tracker(TrackerSettings(**kwargs))
