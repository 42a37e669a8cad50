"""`emohelpers evaluate` and `emohelpers evaluate-images`: accuracy against labels."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from emohelpers.cli.setting_options import add_setting_options
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.spec import by_name
from emohelpers.report import evaluation_io
from emohelpers.summaries import evaluate as ev
from emohelpers.summaries.evaluate_images import evaluate_images, list_labelled_images
from emohelpers.summaries.metrics import per_class_frame
from emohelpers.summaries.valence import VALENCE_PRESETS

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> None:
    """Register `evaluate` and `evaluate-images` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "evaluate",
        help="score analyses against golden labels (accuracy, macro F1, confusion matrix)",
        description=(
            "Score analyses against a golden CSV with columns clip (the video file's stem), "
            "label (one of the seven emotions, or positive/neutral/negative) and optionally "
            "start_s, end_s (a window in seconds) and person (a track id). Golden rows "
            "without a prediction are counted as 'no prediction' and listed."
        ),
    )
    p.add_argument(
        "predictions",
        nargs="+",
        type=Path,
        metavar="PREDICTIONS",
        help="analysis folder(s) (emotions.parquet + provenance.json), or folders holding them",
    )
    p.add_argument("golden", type=Path, metavar="GOLDEN.csv", help="the golden labels")
    p.add_argument("--out", type=Path, help="write metrics.json, confusion.csv, rows.csv here")
    p.add_argument(
        "--task",
        choices=ev.TASKS,
        default="auto",
        help="label kind: emotion, valence, or auto from the labels (default: auto)",
    )
    p.add_argument(
        "--dominant",
        choices=ev.DOMINANT,
        default="vote",
        help="dominant emotion of a window by vote (argmax count) or mean probability",
    )
    p.add_argument(
        "--valence",
        choices=list(VALENCE_PRESETS),
        default="default",
        help="emotion -> valence preset for valence labels (default: default)",
    )
    p.add_argument(
        "--valence-by",
        choices=ev.VALENCE_BY,
        default="dominant",
        help="valence prediction: class of the dominant emotion, or the mean-probability "
        "verdict with --margin (default: dominant)",
    )
    p.add_argument(
        "--margin", type=float, default=0.1, help="verdict margin, in [0, 1] (default: 0.1)"
    )
    add_setting_options(p, [by_name(AnalysisSettings.spec())["min_quality"]])
    p.add_argument("--json", action="store_true", help="print metrics.json instead of a report")
    p.set_defaults(func=run_evaluate, input_checks={"predictions": "path", "golden": "file"})

    q = subparsers.add_parser(
        "evaluate-images",
        help="accuracy of a classifier on a folder of labelled face crops",
        description=(
            "Run a classifier on DIR/<label>/<image> (already-cropped faces; label folders "
            "named after the seven emotions or synonyms such as anger, happiness, fearful) "
            "with the same preprocessing as video analysis, and print JSON with n, accuracy, "
            "macro F1, per-class recall and the confusion matrix."
        ),
    )
    q.add_argument("folder", type=Path, metavar="DIR", help="folder of <label>/<image>")
    specs = by_name(AnalysisSettings.spec())
    add_setting_options(q, [specs["model"], specs["device"]])
    q.add_argument("--batch-size", type=int, default=None, help="crops per forward pass")
    q.add_argument(
        "--skip-unknown",
        action="store_true",
        help="skip label folders with unknown names (default: they are an error)",
    )
    q.add_argument("--out", type=Path, help="also write metrics.json and confusion.csv here")
    q.set_defaults(func=run_evaluate_images, input_checks={"folder": "folder"})


def format_report(result: ev.Evaluation) -> str:
    """A plain-text report of an evaluation: headline numbers, per-class table, confusion."""
    m = result.metrics

    def num(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines = [
        f"task: {m['task']}   golden rows: {m['n']}   predicted: {m['n_predicted']}   "
        f"no prediction: {m['n_no_prediction']}",
        f"accuracy: {num(m['accuracy'])} (of predicted rows: {num(m['accuracy_predicted'])})"
        f"   macro F1: {num(m['macro_f1'])}",
        "",
        per_class_frame(m).to_string(float_format=lambda x: f"{x:.3f}"),
        "",
        "confusion (rows: golden, columns: predicted)",
        result.confusion.to_string(),
    ]
    if m["no_prediction"]:
        lines += ["", "no prediction:"]
        lines += [f"  line {r['line']} ({r['clip']}): {r['reason']}" for r in m["no_prediction"]]
    return "\n".join(lines)


def run_evaluate(args: argparse.Namespace) -> int:
    """Run `emohelpers evaluate`; print the report (or JSON); write files with --out."""
    result = evaluation_io.evaluate(
        args.predictions,
        args.golden,
        task=args.task,
        dominant=args.dominant,
        mapping=args.valence,
        valence_by=args.valence_by,
        margin=args.margin,
        min_quality=args.min_quality,
    )
    print(json.dumps(result.metrics, indent=2) if args.json else format_report(result))
    if args.out:
        out = evaluation_io.save_evaluation(result, args.out)
        log.info("wrote %s", out)
        if not args.json:
            print(f"\nwrote {out}/metrics.json, confusion.csv, rows.csv")
    return 0


def run_evaluate_images(args: argparse.Namespace) -> int:
    """Run `emohelpers evaluate-images`; print the metrics as JSON; write them with --out."""
    # loads torch: only when this command runs
    from emohelpers.analysis.classifiers import load_classifier

    list_labelled_images(args.folder, args.skip_unknown)  # fail fast, before the model
    classifier = load_classifier(args.model, device=args.device, batch_size=args.batch_size)
    result = evaluate_images(args.folder, classifier, skip_unknown=args.skip_unknown)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        evaluation_io.save_metrics(result, args.out)
    return 0
