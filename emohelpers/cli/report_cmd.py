"""`emohelpers report`: one HTML report per clip, and `index.html`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from tqdm.auto import tqdm

from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.cli.analyze_cmd import add_sampling_args, settings_from_args
from emohelpers.cli.setting_options import add_setting_options
from emohelpers.report.parameters import REPORT_SPEC


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="analyse clips and write one HTML report per clip, plus index.html",
        description="Run the report notebook on each clip (papermill), export it to HTML "
        "(nbconvert) and write DIR/index.html. Without a video (or with only folders holding "
        "none), the sample clips are used. Exit status 1 when any clip failed.",
    )
    p.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        metavar="VIDEO|DIR",
        help="video files or folders of videos (default: the sample clips)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("outputs"),
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    add_sampling_args(p)
    add_setting_options(p, REPORT_SPEC)  # those with a flag: --sections, --radar, ...
    p.add_argument(
        "--show-inputs",
        action="store_true",
        help="show the notebook's code cells in the HTML reports",
    )
    p.set_defaults(func=run_report, input_checks={"inputs": "path"})


def _line(result) -> str:
    if result.ok:
        key = result.key_figures
        people = ", ".join(
            f"{p} {e}" + (f" ({v})" if (v := key.get("verdicts", {}).get(p)) else "")
            for p, e in (key.get("dominant") or {}).items()
        )
        status = key.get("voice_status")
        voice = key.get("voice_dominant") or ("no speech" if status == VoiceStatus.OK else status)
        return (
            f"ok      {result.video.name}: {key.get('persons', 0)} person(s)"
            f"{': ' + people if people else ''}{'; voice ' + voice if voice else ''} "
            f"-> {result.report} ({result.seconds:.0f} s)"
        )
    return f"FAILED  {result.video.name}: {result.error} -> {result.notebook}"


def run_report(args: argparse.Namespace) -> int:
    # The report layer loads papermill, nbconvert and plotly: only when the command runs.
    from emohelpers.report.index_page import INDEX_FILE
    from emohelpers.report.run import run_reports

    if not args.verbose:  # papermill's per-notebook INFO lines would drown the one-line results
        logging.getLogger("papermill").setLevel(logging.WARNING)
    own = {s.name: getattr(args, s.name) for s in REPORT_SPEC if s.flags}
    results = run_reports(
        args.inputs,
        args.out,
        settings_from_args(args),
        show_inputs=args.show_inputs,
        progress=not args.quiet,
        on_result=lambda r: tqdm.write(_line(r)),
        **own,
    )
    failed = sum(not r.ok for r in results)
    print(
        f"{len(results) - failed} of {len(results)} report(s) made; index: {args.out / INDEX_FILE}"
    )
    return 1 if failed else 0
