"""Corpus throughput: the plain in-process loop against the Dask engine with 1 and 2 workers.

The same corpus (the five sample clips repeated to `--clips` clips) is analysed by:

- `loop`: `analyze` + `save` per clip in a fresh child process, one classifier loaded once
  (no engine at all: the baseline), timed from before its imports (torch, the pipeline);
- `engine-N`: `emohelpers.corpus.run_corpus` with a LocalCluster of N worker processes
  (cluster start and stop, worker imports, model loads, dataset and clips.parquet included);
  `task_seconds` is the time spent inside the clips' tasks, the rest is the engine's own.

Each run starts from an empty output folder. Prints a table, then the figures as one JSON
object on the last line. Also measures one clip at every 20th frame, the basis of the
projection in docs/corpus.md.

    python benchmarks/corpus.py [--clips 20] [--every-n 1] [--workers 1,2] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def corpus_folder(root: Path, n: int) -> Path:
    """`n` clips: the sample clips repeated, as distinctly named copies."""
    from emohelpers.core.assets import sample_clips

    src = sample_clips()
    folder = root / "videos"
    folder.mkdir(parents=True)
    for i in range(n):
        clip = src[i % len(src)]
        shutil.copy(clip, folder / f"{i:03d}_{clip.stem}{clip.suffix}")
    return folder


def plain_loop(folder: Path, out: Path, every_n: int) -> dict:
    """The baseline: a fresh process analyses and saves each clip with one classifier.

    Run in a child interpreter and timed there from before its first import, as the engine's
    workers import torch and the pipeline inside the engine's time; its CPU seconds say how
    many cores one analysis keeps busy.
    """
    proc = subprocess.run(
        [sys.executable, __file__, "--loop", str(folder), str(out), str(every_n)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the plain loop failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _loop_child(folder: str, out: str, every_n: int) -> None:
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.core.errors import EmoError
    from emohelpers.corpus.manifest import read_inputs

    clf = load_classifier("mini-xception", "cpu")
    frames = failed = 0
    for clip in read_inputs([Path(folder)]):
        try:
            result = analyze(clip.video, classifier=clf, every_n=every_n, progress=False)
        except EmoError:
            failed += 1
            continue
        result.save(Path(out) / clip.name)
        frames += result.provenance.summary["frames_analysed"]
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "frames": frames,
                "failed": failed,
                "cores_busy": round(cpu / seconds, 2),
            }
        )
    )


def engine(clips, out: Path, every_n: int, workers: int) -> dict:
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.task import TaskSettings

    settings = TaskSettings(
        analysis={"model": "mini-xception", "every_n": every_n, "device": "cpu"}
    )
    t0 = time.perf_counter()
    run = run_corpus(clips, out, settings, workers=workers, progress=False)
    seconds = time.perf_counter() - t0
    frames = sum(r.get("frames_analysed") or 0 for r in run.rows if r["status"] == "ok")
    return {
        "seconds": seconds,
        "frames": frames,
        "failed": run.count("failed"),
        "task_seconds": round(sum(r.get("seconds") or 0 for r in run.rows), 2),
    }


def one_clip_every_20th() -> dict:
    """Seconds to analyse the 20 s sample clip at every 20th frame (decode included)."""
    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.core.assets import sample_clip

    clf = load_classifier("mini-xception", "cpu")
    analyze(sample_clip(), classifier=clf, every_n=20, progress=False)  # warm
    t0 = time.perf_counter()
    result = analyze(sample_clip(), classifier=clf, every_n=20, progress=False)
    seconds = time.perf_counter() - t0
    return {
        "video_s": result.provenance.video["duration_s"],
        "seconds": seconds,
        "frames": result.provenance.summary["frames_analysed"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--every-n", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--quick", action="store_true", help="5 clips, every 4th frame")
    parser.add_argument(
        "--loop", nargs=3, metavar=("FOLDER", "OUT", "EVERY_N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.loop:
        _loop_child(args.loop[0], args.loop[1], int(args.loop[2]))
        return
    if args.quick:
        args.clips, args.every_n = 5, 4

    from emohelpers.corpus.manifest import read_inputs

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="emo-corpus-bench-") as tmp:
        root = Path(tmp)
        folder = corpus_folder(root, args.clips)
        clips = read_inputs([folder])
        results["loop"] = plain_loop(folder, root / "loop", args.every_n)
        for n in [int(w) for w in args.workers.split(",")]:
            results[f"engine-{n}"] = engine(clips, root / f"engine-{n}", args.every_n, n)
    base = results["loop"]["seconds"]
    print(f"{len(clips)} clips, every {args.every_n} frame(s), mini-xception, CPU")
    print(f"{'run':<10} {'seconds':>8} {'clips/min':>10} {'frames/s':>9} {'vs loop':>8}")
    for name, r in results.items():
        r["clips_per_min"] = round(60 * len(clips) / r["seconds"], 2)
        r["frames_per_s"] = round(r["frames"] / r["seconds"], 1)
        r["speedup_vs_loop"] = round(base / r["seconds"], 3)
        r["seconds"] = round(r["seconds"], 2)
        print(
            f"{name:<10} {r['seconds']:>8.1f} {r['clips_per_min']:>10.2f} "
            f"{r['frames_per_s']:>9.1f} {r['speedup_vs_loop']:>7.2f}x"
        )
    out = {"clips": len(clips), "every_n": args.every_n, "runs": results}
    if "engine-1" in results:
        out["engine_overhead_1_worker"] = round(results["engine-1"]["seconds"] / base - 1, 3)
    if "engine-1" in results and "engine-2" in results:
        out["speedup_2_vs_1_worker"] = round(
            results["engine-1"]["seconds"] / results["engine-2"]["seconds"], 3
        )
    out["every_20th_frame"] = one_clip_every_20th()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
