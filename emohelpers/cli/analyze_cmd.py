"""`emohelpers analyze` and `emohelpers fetch-assets`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.cli.setting_options import add_setting_options
from emohelpers.core.assets import fetch_all
from emohelpers.core.assets_whisper import whisper_model
from emohelpers.core.folder_lock import folder_lock
from emohelpers.core.settings import AnalysisSettings
from emohelpers.summaries.clip_summary import summarise_analysis


def add_sampling_args(p: argparse.ArgumentParser) -> None:
    """The analysis settings as options: every declared setting with a flag (model,
    sampling, time range, device, detector, tracker, voice), as `AnalysisSettings.spec()`
    declares it."""
    add_setting_options(p, AnalysisSettings.spec())


def settings_from_args(args: argparse.Namespace) -> AnalysisSettings:
    """The analysis settings from parsed options; invalid values raise ParameterError."""
    names = set(AnalysisSettings.flat_names())
    return AnalysisSettings.from_flat(**{k: v for k, v in vars(args).items() if k in names})


def analysis_kwargs(args: argparse.Namespace) -> dict:
    """`analyze` arguments from parsed options: the settings, batch size and progress."""
    return {
        "settings": settings_from_args(args),
        "batch_frames": args.batch_frames,
        "progress": not args.quiet,
    }


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="analyse one video into the emotion table",
        description="Detect, track and classify every face of a video, and the voice of its "
        "sound track; write DIR/emotions.parquet, DIR/voice.parquet and DIR/provenance.json.",
    )
    p.add_argument("video", type=Path, help="the video file")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    add_sampling_args(p)
    p.add_argument("--batch-frames", type=int, default=16, help="frames per detector call")
    p.set_defaults(func=run_analyze, input_checks={"video": "file"})

    f = sub.add_parser(
        "fetch-assets",
        help="fetch the offline models (faces, VAD, Whisper-base) and the sample clips",
    )
    f.set_defaults(func=run_fetch_assets)


def run_analyze(args: argparse.Namespace) -> int:
    with folder_lock(args.out):  # one run per folder: a second one is refused at once
        from emohelpers.analysis.pipeline import analyze  # torch: only when the command runs

        kwargs = analysis_kwargs(args)
        result = analyze(args.video, **kwargs)
        out = result.save(args.out)
    prov = result.provenance
    s = summarise_analysis(result, min_quality=kwargs["settings"].min_quality)
    voice = prov.voice
    print(
        f"{args.video.name}: {s.frames_analysed} frames analysed, "
        f"{s.frames_with_face} with a face ({s.faces_left_out} of {s.faces} faces below "
        f"min_quality), {s.n_persons} person(s), "
        f"{s.analysis_seconds or 0:.1f} s ({prov.model_label}, {prov.device}); "
        f"voice {voice.get('status', VoiceStatus.OFF)}: {voice.get('message', '')} -> {out}"
    )
    if prov.truncated:  # recorded in the provenance; said once here, after any progress bar
        print(f"emohelpers analyze: warning: {truncation_line(prov.video)}", file=sys.stderr)
    return 0


def truncation_line(video: dict) -> str:
    """The line `NAME: truncated, decoded up to N s of M s` of a video that ended early."""
    until, claimed = video.get("decoded_until_s") or 0.0, video.get("duration_s")
    of = f" of {claimed:.2f} s" if claimed else ""
    return f"{video.get('name', '?')}: truncated, decoded up to {until:.2f} s{of}"


def run_fetch_assets(args: argparse.Namespace) -> int:
    assets = {**fetch_all(), "whisper": whisper_model()}
    print(json.dumps({k: str(v) for k, v in assets.items()}))
    return 0
