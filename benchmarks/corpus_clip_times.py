"""Seconds per clip inside a corpus run: does a worker rebuild models for every clip?

The README's example corpus (`emohelpers corpus videos/ --model mini-xception --every-n 20`)
on the five sample clips repeated to `--clips` clips, one LocalCluster worker, every other
setting at its default (re-identification and the voice channel on). A worker that keeps
its models pays for them on its first clip only; one that rebuilds them pays on every clip.
Prints each clip's task seconds, then JSON: the first clip, the mean of the others, the
total. Runs with whichever emohelpers is importable (PYTHONPATH), so that two versions of
the code can be compared on one machine:

    PYTHONPATH=/path/to/old/checkout python benchmarks/corpus_clip_times.py --clips 15
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=15)
    parser.add_argument("--every-n", type=int, default=20)
    args = parser.parse_args()

    import emohelpers
    from emohelpers.core.assets import sample_clips
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.task import TaskSettings

    root = Path(tempfile.mkdtemp(prefix="clip-times-"))
    try:
        folder = root / "videos"
        folder.mkdir()
        src = sample_clips()
        for i in range(args.clips):
            clip = src[i % len(src)]
            shutil.copy(clip, folder / f"{i:03d}_{clip.stem}{clip.suffix}")
        clips = read_inputs([folder])
        settings = TaskSettings(analysis={"model": "mini-xception", "every_n": args.every_n})
        t0 = time.perf_counter()
        run = run_corpus(clips, root / "out", settings, workers=1, progress=False)
        total = time.perf_counter() - t0
        rows = sorted(run.rows, key=lambda r: r.get("started_utc") or r["clip"])
        times = [float(r.get("seconds") or 0) for r in rows]
        for r, s in zip(rows, times, strict=True):
            print(f"{r['clip']:<40} {r['status']:<8} {s:7.2f} s")
        rest = times[1:] or [float("nan")]
        print(
            json.dumps(
                {
                    "emohelpers": str(Path(emohelpers.__file__).parent),
                    "clips": len(times),
                    "first_clip_s": round(times[0], 2),
                    "other_clips_mean_s": round(sum(rest) / len(rest), 3),
                    "tasks_s": round(sum(times), 2),
                    "run_s": round(total, 2),
                }
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
