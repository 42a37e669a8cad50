"""Faithfulness of the attribution methods: the deletion test on the sample clips' faces.

Each sample clip is analysed (default: the offline mini-xception, 8 frames per second),
up to `--faces` faces per clip are taken evenly over its face rows and cropped as the
analysis cropped them; every method explains each face's most probable emotion, and the
most-attributed input pixels are deleted first (set to the model's gray baseline, 0 in its
normalised input) in `--steps` steps while the emotion's probability is followed. The area
under that curve (fraction deleted in [0, 1]; lower is more faithful) is compared with
deleting the pixels in a random order (seeded). Prints a table, then one JSON line.

    .venv/bin/python benchmarks/faithfulness.py
    .venv/bin/python benchmarks/faithfulness.py --model path/to/vit --faces 5 --fps 1
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from emohelpers.explain.methods.faithfulness import faithfulness_report
from emohelpers.explain.methods.methods import METHODS

from emohelpers.analysis.classifiers import load_classifier
from emohelpers.analysis.detect import crop_faces
from emohelpers.analysis.pipeline import analyze
from emohelpers.analysis.table import BOX_COLUMNS
from emohelpers.analysis.video import iter_frames
from emohelpers.core.assets import sample_clips


def clip_faces(clip, classifier, fps: float, limit: int) -> list[np.ndarray]:
    """Up to `limit` face crops of one clip, evenly spaced over its rows with a face."""
    analysis = analyze(clip, classifier=classifier, fps=fps, progress=False)
    rows = analysis.table.dropna(subset=["person"]).reset_index(drop=True)
    if rows.empty:
        return []
    picks = rows.iloc[np.unique(np.linspace(0, len(rows) - 1, limit).round().astype(int))]
    margin = analysis.provenance["detector"]["margin"]
    wanted = set(picks["frame"])
    frames = {}
    for f in iter_frames(clip, fps=fps):
        if f.index in wanted:
            frames[f.index] = f.rgb
        if len(frames) == len(wanted):
            break
    return [
        crop_faces(frames[int(r.frame)], np.array([[getattr(r, c) for c in BOX_COLUMNS]]), margin)[
            0
        ]
        for r in picks.itertuples()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="mini-xception", help="classifier (default: offline)")
    parser.add_argument("--fps", type=float, default=8.0, help="analysed frames per second")
    parser.add_argument("--faces", type=int, default=20, help="faces per clip at most")
    parser.add_argument("--steps", type=int, default=20, help="deletion steps")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random order")
    args = parser.parse_args()

    classifier = load_classifier(args.model, "cpu")
    crops, per_clip = [], {}
    for clip in sample_clips():
        faces = clip_faces(clip, classifier, args.fps, args.faces)
        per_clip[clip.name] = len(faces)
        crops += faces
    if not crops:
        raise SystemExit("no face in the sample clips")
    start = time.perf_counter()
    report = faithfulness_report(classifier, crops, args.methods, steps=args.steps, seed=args.seed)
    seconds = time.perf_counter() - start

    print(
        f"{classifier.name} (revision {classifier.revision}): {len(crops)} faces "
        f"({', '.join(f'{k} {v}' for k, v in per_clip.items())}), {args.steps} steps, "
        f"{seconds:.1f} s"
    )
    print("deletion AUC: lower is more faithful; random: pixels deleted in a random order")
    print(report.to_string(index=False, float_format="{:.3f}".format))
    figures = {
        "benchmark": "faithfulness",
        "classifier": classifier.name,
        "revision": classifier.revision,
        "faces": len(crops),
        "faces_per_clip": per_clip,
        "fps": args.fps,
        "steps": args.steps,
        "seed": args.seed,
        "random_auc": round(float(report["random_auc"].iloc[0]), 4),
        "methods": {
            r.method: {
                "deletion_auc": round(r.deletion_auc, 4),
                "difference": round(r.difference, 4),
                "wins": round(r.wins, 3),
                "seconds_per_face": round(r.seconds_per_face, 4),
            }
            for r in report.itertuples()
        },
        "seconds": round(seconds, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
