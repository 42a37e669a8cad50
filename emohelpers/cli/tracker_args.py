"""Command-line options of the tracking settings (shots, tracks, re-identification).

Their destinations are `TrackerSettings`' field names, so `AnalysisSettings.from_flat`
takes them with the other options (`analyze_cmd.settings_from_args`).
"""

from __future__ import annotations

import argparse

from emohelpers.core.settings import TrackerSettings

_D = TrackerSettings()


def add_tracker_args(p: argparse.ArgumentParser) -> None:
    """Add the `TrackerSettings` options (defaults shown in --help)."""
    g = p.add_argument_group("persons (shots, tracking, re-identification)")
    g.add_argument(
        "--max-gap-s",
        type=float,
        default=_D.max_gap_s,
        help="a face unseen this long (s) keeps its track... (default: %(default)s)",
    )
    g.add_argument(
        "--max-gap-frames",
        type=int,
        default=_D.max_gap_frames,
        help="...or this many analysed-frame intervals, whichever is longer (default: %(default)s)",
    )
    g.add_argument(
        "--iou-min",
        type=float,
        default=_D.iou_min,
        help="smallest overlap of predicted and found box that continues a track "
        "(default: %(default)s)",
    )
    g.add_argument(
        "--shot-threshold",
        type=float,
        default=_D.shot_threshold,
        help="mean HSV change between frames (0-255) that makes a cut (default: %(default)s)",
    )
    g.add_argument(
        "--min-shot-s",
        type=float,
        default=_D.min_shot_s,
        help="shortest shot, seconds (default: %(default)s)",
    )
    g.add_argument(
        "--no-reid",
        dest="reid",
        action="store_false",
        help="do not merge tracks of the same face into one person",
    )
    g.add_argument("--reid-max-distance", type=float, default=_D.reid_max_distance,
                   help="largest face-descriptor distance at which tracks merge "
                        "(default: %(default)s, calibrated)")  # fmt: skip
