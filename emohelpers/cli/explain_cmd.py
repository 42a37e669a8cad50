"""`emohelpers explain`: attribution maps of each person's strongest moments, as one HTML page."""

from __future__ import annotations

import argparse
import html
from pathlib import Path

from emohelpers.analysis.provenance import model_label
from emohelpers.analysis.table import Analysis
from emohelpers.cli.analyze_cmd import add_sampling_args, analysis_kwargs
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import ParameterError
from emohelpers.explain.method_names import METHODS

PAGE_FILE = "explain.html"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `explain` on the CLI's subparsers."""
    p = sub.add_parser(
        "explain",
        help="what the model looked at: saliency maps of each person's strongest moments",
        description="Explain each person's strongest moment of each emotion above chance "
        "(1/7) with attribution maps over the face; write DIR/explain.html (offline, "
        "plotly.js embedded). VIDEO_OR_ANALYSIS_DIR is a video (analysed first, or the "
        "analysis saved in DIR/analysis reused) or an analysis folder (emotions.parquet + "
        "provenance.json).",
    )
    p.add_argument("source", type=Path, metavar="VIDEO_OR_ANALYSIS_DIR")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--video", type=Path, help="the analysed video (default: the provenance's)")
    p.add_argument("--method", choices=METHODS, default="gradcam", help="default: gradcam")
    p.add_argument("--max-per-person", type=int, default=7, help="moments per person, 1-7")
    add_sampling_args(p)
    p.add_argument("--batch-frames", type=int, default=16, help="frames per detector call")
    p.set_defaults(func=run_explain, input_checks={"source": "path", "video": "file"})


def _analysis(args: argparse.Namespace):
    from emohelpers.analysis.pipeline import load_or_analyze  # torch: only when analysing

    if args.source.is_dir():
        analysis = Analysis.load(args.source)
        video = args.video or Path(analysis.provenance.video.get("path", ""))
        if not video.is_file():
            raise ParameterError(
                f"{args.source}: its video {str(video)!r} is not a file; pass it with --video"
            )
        return analysis, analysis.video_file(video), analysis.provenance.model_name
    analysis = load_or_analyze(args.source, args.out / "analysis", **analysis_kwargs(args))
    return analysis, args.source, analysis.provenance.model_name


def page_html(title: str, moments: list) -> str:
    """One offline page: a heading, then each moment's figure (plotly.js inline once)."""
    t = html.escape(title)
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{t}</title></head>"
        f"<body style='font-family:sans-serif'><h1>{t}</h1>"
    ]
    if not moments:
        parts.append("<p>No face, or no emotion above chance: nothing to explain.</p>")
    for i, m in enumerate(moments):
        parts.append(
            m.figure.to_html(
                full_html=False, include_plotlyjs=i == 0, config={"displaylogo": False}
            )
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def run_explain(args: argparse.Namespace) -> int:
    # torch and the models load here, when the command runs, not at --help
    from emohelpers.analysis.analyzer import shared_classifier
    from emohelpers.explain.moments import explain_strongest_moments

    if not 1 <= args.max_per_person <= 7:
        raise ParameterError(f"--max-per-person {args.max_per_person}: must be 1-7")
    analysis, video, model = _analysis(args)
    # the analysis just made (if any) loaded this classifier: the process keeps one
    classifier = shared_classifier(model or args.model, args.device)
    moments = explain_strongest_moments(
        video,
        analysis,
        classifier,
        method=args.method,
        max_per_person=args.max_per_person,
        cache_dir=args.out / "explain-cache",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    page = args.out / PAGE_FILE
    title = (
        f"What the model looked at: {video.name} ({model_label(classifier.name)}, {args.method})"
    )
    atomic_write(page, page_html(title, moments))
    print(f"{video.name}: {len(moments)} moment(s) explained -> {page}")
    return 0
