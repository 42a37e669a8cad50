"""`emohelpers export`: an analysis or a corpus as CSV, ELAN (.eaf) or subtitles (.srt)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export an analysis or a corpus as CSV tables, ELAN files or subtitles",
        description="Export the analysis folder of `emohelpers analyze` (or `report`) or the "
        "folder of `emohelpers corpus`: csv (the emotion, voice and person tables, UTF-8, "
        "times in seconds, provenance.json with ISO times), elan (one .eaf per clip, EAF 3.0: "
        "a tier per person with the dominant emotion per window, shots, voice) or srt (one "
        ".srt per clip: each person's dominant emotion per window).",
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="an analysis or a corpus folder")
    p.add_argument(
        "--format", choices=("csv", "elan", "srt"), default="csv", help="default: %(default)s"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the files go (default: DIR/export)",
    )
    p.add_argument(
        "--window-s",
        type=float,
        default=1.0,
        metavar="S",
        help="window of the dominant emotion in ELAN tiers and subtitles, seconds "
        "(default: %(default)s)",
    )
    p.set_defaults(func=run_export_cmd, input_checks={"folder": "folder"})


def run_export_cmd(args: argparse.Namespace) -> int:
    # pandas and the tables load here, when the command runs, not at --help
    from emohelpers.exports import export

    written = export(args.folder, args.format, args.out, args.window_s)
    for path in written:
        print(path)
    return 0
