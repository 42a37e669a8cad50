"""`emohelpers analyze` and `emohelpers fetch-assets`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from emohelpers.cli.tracker_args import add_tracker_args
from emohelpers.cli.voice_cmd import add_voice_args
from emohelpers.core.folder_lock import folder_lock
from emohelpers.core.settings import AnalysisSettings, DetectorSettings


def add_sampling_args(p: argparse.ArgumentParser) -> None:
    """The analysis settings as options (defaults and rules from `AnalysisSettings`)."""
    d, det = AnalysisSettings(), DetectorSettings()
    p.add_argument(
        "--model",
        default=d.model,
        help="auto | mini-xception | a Hugging Face Hub id | a local model folder "
        "(default: auto = the ViT if cached locally, else mini-xception)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--every-n",
        type=int,
        default=None,
        metavar="N",
        help="analyse every N-th frame (default: every frame)",
    )
    g.add_argument(
        "--fps",
        type=float,
        default=None,
        metavar="F",
        help="analyse F frames per second of video instead",
    )
    p.add_argument("--device", default=d.device, help="auto | cpu | cuda (default: auto)")
    p.add_argument("--start-s", type=float, default=None, help="analyse from this time, s")
    p.add_argument("--end-s", type=float, default=None, help="analyse up to this time, s")
    p.add_argument(
        "--min-face-px",
        type=int,
        default=det.min_face_px,
        help="smallest face side to find, source pixels (default: %(default)s)",
    )
    p.add_argument(
        "--min-det-prob",
        type=float,
        default=det.min_det_prob,
        help="drop faces the detector is less sure of (default: %(default)s)",
    )
    p.add_argument(
        "--max-side-px",
        type=int,
        default=det.max_side_px,
        help="frames whose longer side exceeds this are downscaled to it for "
        "detection (boxes stay in source pixels); 0 = full size "
        "(default: %(default)s)",
    )
    add_tracker_args(p)
    p.add_argument(
        "--no-voice",
        dest="voice_enabled",
        action="store_false",
        help="do not analyse the sound track (default: the voice table "
        "voice.parquet is made when the clip has sound)",
    )
    add_voice_args(p)


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
        description="Detect, track and classify every face of a video, and "
        "the voice of its sound track; write DIR/emotions.parquet, "
        "DIR/voice.parquet and DIR/provenance.json.",
    )
    p.add_argument("video", type=Path, help="the video file")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    add_sampling_args(p)
    p.add_argument("--batch-frames", type=int, default=16, help="frames per detector call")
    p.set_defaults(func=run_analyze)

    f = sub.add_parser("fetch-assets", help="fetch the offline model and the sample clips")
    f.set_defaults(func=run_fetch_assets)


def run_analyze(args: argparse.Namespace) -> int:
    with folder_lock(args.out):  # one run per folder: a second one is refused at once
        from emohelpers.analysis.pipeline import analyze  # loads torch: not at --help

        result = analyze(args.video, **analysis_kwargs(args))
        out = result.save(args.out)
    prov = result.provenance
    s = prov.summary
    voice = prov.voice
    print(
        f"{args.video.name}: {s['frames_analysed']} frames analysed, "
        f"{s['frames_with_face']} with a face, {s['persons']} person(s), "
        f"{s['seconds']:.1f} s ({prov.model_label}, {prov.device}); "
        f"voice {voice.get('status', 'off')}: {voice.get('message', '')} -> {out}"
    )
    return 0


def run_fetch_assets(args: argparse.Namespace) -> int:
    from emohelpers.core.assets import fetch_all

    print(json.dumps({k: str(v) for k, v in fetch_all().items()}))
    return 0
