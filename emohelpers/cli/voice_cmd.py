"""`emohelpers evaluate-voice` and `emohelpers analyze-voice`: the voice channel on its own."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from emohelpers.analysis.voice.table import save_voice_table
from emohelpers.analysis.voice.transcript_table import save_transcript
from emohelpers.cli.setting_options import add_setting_options
from emohelpers.core.atomic import atomic_write, atomic_write_json
from emohelpers.core.device import resolve_device
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.spec import by_name
from emohelpers.core.voice_settings import VoiceSettings
from emohelpers.summaries import evaluate_voice as ev
from emohelpers.summaries.metrics import confusion_frame

log = logging.getLogger(__name__)

#: The voice settings a voice command takes (not on/off: these commands are the voice).
VOICE_OPTIONS = ("voice_model", "voice_window_s", "voice_hop_s", "voice_min_speech_prob")


def add_voice_args(p: argparse.ArgumentParser, *names: str) -> None:
    """Options of the voice channel (and further analysis settings `names`), as the
    settings declare them."""
    specs = by_name(AnalysisSettings.spec())
    add_setting_options(p, [specs[n] for n in (*VOICE_OPTIONS, *names)], grouped=False)


def voice_settings(args: argparse.Namespace) -> VoiceSettings:
    """The `VoiceSettings` of parsed options (raises ParameterError for invalid ones)."""
    names = (*VOICE_OPTIONS, "voice_transcript")
    given = {n: getattr(args, n) for n in names if hasattr(args, n)}
    return AnalysisSettings.from_flat(**given).voice


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `evaluate-voice` and `analyze-voice`."""
    q = sub.add_parser(
        "evaluate-voice",
        help="accuracy of a voice model on a labelled folder of audio files",
        description="Classify every audio file of DIR/<label>/<file> (wav, flac, mp3, ogg, "
        "m4a) whole, with the same preprocessing as a clip's sound track (16 kHz, VAD, "
        "windows); print JSON: n, accuracy, macro F1, per-class recall, confusion matrix. "
        "Label folders are the seven emotions or synonyms (calm = neutral).",
    )
    q.add_argument("folder", type=Path, metavar="DIR", help="DIR/<label>/<audio file>")
    add_voice_args(q, "device")
    q.add_argument("--skip-unknown", action="store_true", help="skip unknown label folders")
    q.add_argument("--out", type=Path, help="also write metrics.json and confusion.csv here")
    q.set_defaults(func=run_evaluate_voice, input_checks={"folder": "folder"})

    a = sub.add_parser(
        "analyze-voice",
        help="analyse the sound track of one clip into the voice table",
        description="Write DIR/voice.parquet (one row per window: start_s, end_s, "
        "speech_prob, the seven probabilities, emotion; NaN rows where nobody speaks) and "
        "DIR/voice_provenance.json.",
    )
    a.add_argument("video", type=Path, help="a video or audio file")
    a.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    add_voice_args(a, "device", "start_s", "end_s", "voice_transcript")
    a.set_defaults(func=run_analyze_voice, input_checks={"video": "file"})


def run_evaluate_voice(args: argparse.Namespace) -> int:
    """Run `emohelpers evaluate-voice`; print the metrics as JSON; write them with --out."""
    # torch and the models load here, when the command runs, not at --help
    from emohelpers.analysis.voice.classifiers import load_voice_classifier
    from emohelpers.analysis.voice.vad import SpeechDetector

    settings = voice_settings(args)
    ev.list_labelled_audio(args.folder, args.skip_unknown)  # fail fast, before the models
    device = resolve_device(args.device)
    classifier = load_voice_classifier(settings.model, device, settings.batch_size)
    result = ev.evaluate_voice(
        args.folder,
        classifier,
        SpeechDetector(device=device),
        settings,
        skip_unknown=args.skip_unknown,
        progress=not args.quiet,
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        atomic_write(args.out / "metrics.json", text + "\n")
        atomic_write(args.out / "confusion.csv", confusion_frame(result).to_csv())
    if result["n_failed"]:
        first = result["failed"][0]
        print(
            f"emohelpers evaluate-voice: error: {result['n_failed']} file(s) could not be "
            f"decoded and are not scored (first: {first['reason']})",
            file=sys.stderr,
        )
        return 1
    return 0


def run_analyze_voice(args: argparse.Namespace) -> int:
    """Run `emohelpers analyze-voice`; print a one-line summary."""
    # torch and the models load here, when the command runs, not at --help
    from emohelpers.analysis.voice.analyze import analyze_voice

    settings = AnalysisSettings.from_flat(
        start_s=args.start_s, end_s=args.end_s, device=args.device
    )  # the time range's rules
    result = analyze_voice(
        args.video,
        voice_settings(args),
        device=settings.device,
        start_s=settings.start_s,
        end_s=settings.end_s,
        strict=True,  # nothing decodable is an error here, never "0 windows"
    )
    table, prov = result
    path = save_voice_table(table, args.out)
    if result.transcript is not None:
        save_transcript(result.transcript, args.out)
    atomic_write_json(args.out / "voice_provenance.json", prov)
    print(f"{args.video.name}: voice {prov['status']}: {prov['message']} -> {path}")
    return 0
