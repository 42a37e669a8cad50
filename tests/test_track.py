"""Tracking: IoU, optimal association, the Kalman motion model and track ids on time."""

import numpy as np
import pytest

from emohelpers.analysis.tracking import kalman
from emohelpers.analysis.tracking.match import associate, iou
from emohelpers.analysis.tracking.tracker import Tracker
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import TrackerSettings


def box(x: float, y: float = 0.0, side: float = 40.0) -> np.ndarray:
    return np.array([x, y, x + side, y + side], dtype=np.float64)


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


def test_associate_is_one_to_one_and_gated():
    tracks = np.array([[0, 0, 10, 10], [100, 0, 110, 10]])
    dets = np.array([[101, 0, 111, 10], [1, 0, 11, 10], [500, 500, 510, 510]])
    assert associate(tracks, dets, 0.3) == [(0, 1), (1, 0)]
    assert associate(np.zeros((0, 4)), dets, 0.3) == []
    assert associate(tracks, np.zeros((0, 4)), 0.3) == []


def test_associate_maximises_total_overlap_where_greedy_would_not():
    # IoU (hand-computed, 1-D boxes of height 10):
    #        D0 [2,12]  D1 [-3,7]
    # T0 [0,10]  8/12      7/13
    # T1 [5,15]  7/13      2/18 (< gate 0.2)
    # Greedy takes T0-D0 (0.667) and leaves T1 alone; the optimum pairs T0-D1 + T1-D0 (1.077).
    tracks = np.array([[0, 0, 10, 10], [5, 0, 15, 10]])
    dets = np.array([[2, 0, 12, 10], [-3, 0, 7, 10]])
    assert associate(tracks, dets, 0.2) == [(0, 1), (1, 0)]


def test_kalman_learns_a_constant_velocity_in_pixels_per_second():
    mean, cov = kalman.initiate(box(0))
    for i in range(1, 8):  # 200 px/s, sampled every 0.1 s
        mean, cov = kalman.update(*kalman.predict(mean, cov, 0.1), box(20 * i))
    assert mean[4] == pytest.approx(200, rel=0.1)
    predicted, _ = kalman.predict(mean, cov, 0.1)
    assert kalman.state_to_xyxy(predicted)[0] == pytest.approx(160, abs=3)
    # Extrapolation is capped: a face unseen for 10 s is looked for 0.5 s ahead, not 2000 px.
    far, _ = kalman.predict(mean, cov, 10.0)
    assert kalman.state_to_xyxy(far)[0] == pytest.approx(140 + 0.5 * mean[4], abs=1)


def test_two_people_keep_their_ids_and_a_gap_is_tolerated():
    tr = Tracker(TrackerSettings(iou_min=0.25, max_gap_s=1.0, max_gap_frames=0))
    left, right = box(0, side=50), box(200, side=50)
    assert list(tr.update(np.stack([left, right]), 0.0)) == [1, 2]
    # Order of detections swaps (largest first changes): ids follow the boxes.
    assert list(tr.update(np.stack([right + 2, left + 2]), 0.1)) == [2, 1]
    assert list(tr.update(np.zeros((0, 4)), 0.2)) == []  # nobody seen for a moment
    assert list(tr.update(np.stack([left + 4]), 0.9)) == [1]  # back within max_gap_s
    # Gone longer than max_gap_s: a new id.
    assert list(tr.update(np.stack([right]), 2.5)) == [3]


@pytest.mark.parametrize("interval_s", [1 / 24, 10 / 24, 30 / 24, 2.0])  # every_n 1/10/30, fps 0.5
def test_a_still_face_keeps_one_id_at_every_sampling_rate(interval_s):
    tr = Tracker()
    times = np.arange(0, 20, interval_s)
    rng = np.random.default_rng(0)
    ids = set()
    for i, t in enumerate(times):
        if i % 7 in (3, 4):  # two analysed frames in a row without the face (looked away)
            tr.update(np.zeros((0, 4)), t)
            continue
        jitter = rng.normal(0, 2, 4)  # detector noise, pixels
        ids |= set(tr.update((box(300, 100, 120) + jitter)[None], t).tolist())
    assert ids == {1}


def test_the_gap_scales_with_the_sampling_interval():
    tr = Tracker(TrackerSettings(max_gap_s=1.0, max_gap_frames=3))
    face = box(100)[None]
    assert list(tr.update(face, 0.0)) == [1]
    tr.update(np.zeros((0, 4)), 2.0)  # fps 0.5: interval 2 s, so gaps up to 6 s survive
    tr.update(np.zeros((0, 4)), 4.0)
    assert list(tr.update(face, 6.0)) == [1]
    for t in (8.0, 10.0, 12.0):
        tr.update(np.zeros((0, 4)), t)
    assert list(tr.update(face, 14.0)) == [2]  # 8 s = 4 intervals: a new track


def test_a_cut_ends_every_track_even_where_boxes_overlap():
    tr = Tracker()
    assert list(tr.update(box(100)[None], 0.0, shot=0)) == [1]
    assert list(tr.update(box(100)[None], 0.1, shot=0)) == [1]
    assert list(tr.update(box(101)[None], 0.2, shot=1)) == [2]


def crossing(tracker: Tracker) -> list[list[int]]:
    """A moves right, B moves left (200 px/s, one analysed frame every 0.1 s); they meet at
    x = 100 in frame 5, where one face hides the other (one detection), and part in frame 6.
    Detections are listed largest first, here: right-most first."""
    ids = []
    for i in range(8):
        a, b = box(20 * i), box(200 - 20 * i)
        dets = [a] if i == 5 else sorted([a, b], key=lambda bx: -bx[0])
        ids.append(tracker.update(np.stack(dets), 0.1 * i).tolist())
    return ids


def test_crossing_faces_keep_their_ids():
    # Hand-computed: frame 0 lists B (x 200) first, so B = 1, A = 2; frames 0-4 B is right
    # of A: [1, 2]; frame 5 one face at x 100 continues one of the tracks (either); from
    # frame 6 A (x 120) is right of B (x 80): [A, B] = [2, 1]. A last-box matcher gives
    # frame 6's box at 120 to whichever track was last seen there or at 100 with IoU 1
    # first, so there the ids swap; the motion model predicts A at 120 and B at 80.
    ids = crossing(Tracker(TrackerSettings(iou_min=0.2)))
    assert ids[:5] == [[1, 2]] * 5
    assert ids[5] in ([1], [2])
    assert ids[6:] == [[2, 1], [2, 1]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"iou_min": 0},
        {"iou_min": 1.5},
        {"max_gap_s": -1},
        {"max_gap_frames": 1.5},
        {"shot_threshold": 0},
        {"min_shot_s": -1},
        {"reid_max_distance": 0},
        {"reid_faces": 0},
    ],
)
def test_tracker_settings_reject_bad_values(kwargs):
    with pytest.raises(ParameterError):
        TrackerSettings(**kwargs)


def test_tracker_settings_by_flat_name():
    from emohelpers.core.settings import AnalysisSettings

    s = AnalysisSettings.from_flat(max_gap_s=2, reid=False, every_n=10)
    assert s.tracker == TrackerSettings(max_gap_s=2, reid=False)
    with pytest.raises(ParameterError, match="max_gap"):
        AnalysisSettings.from_flat(max_gap=2)


def test_cli_options_reach_the_tracker_settings():
    from emohelpers.cli.analyze_cmd import settings_from_args
    from emohelpers.cli.main import build_parser

    parser = build_parser()
    base = ["analyze", "v.mp4", "--out", "o"]
    assert settings_from_args(parser.parse_args(base)).tracker == TrackerSettings()
    args = parser.parse_args(
        [
            *base,
            "--max-gap-s",
            "2",
            "--max-gap-frames",
            "5",
            "--no-reid",
            "--shot-threshold",
            "40",
            "--reid-max-distance",
            "0.5",
        ]
    )
    assert settings_from_args(args).tracker == TrackerSettings(
        max_gap_s=2.0, max_gap_frames=5, reid=False, shot_threshold=40.0, reid_max_distance=0.5
    )
    with pytest.raises(ParameterError, match="iou_min"):
        settings_from_args(parser.parse_args([*base, "--iou-min", "2"]))
