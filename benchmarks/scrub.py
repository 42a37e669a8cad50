"""Scrubbing latency of the clip explorer: from a slider move to the updated frame, boxes,
radar and timeline cursor (the kernel's side: `ClipExplorer.show`), on the 20 s sample clip
and on a 10-minute clip (the sample looped 30 times with ffmpeg, stream copy: the same
3-second groups of pictures). Also the frame reader alone, and what a frame cost before it
(decoding from the start of the video up to the frame).

The 10-minute clip's emotion table is the sample clip's analysis repeated for each loop
(frame indices and times shifted), so no 10 minutes of analysis are needed: scrubbing
depends on the video and the number of analysed frames, not on the probabilities.

    python benchmarks/scrub.py [--positions 40] [--work DIR]

Prints a table, then one JSON object as the last line. Target: < 0.3 s per move.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pandas as pd

LOOPS = 30


def looped_clip(sample: Path, out: Path, loops: int = LOOPS) -> Path:
    if not out.is_file():
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-stream_loop",
            str(loops - 1),
            "-i",
            str(sample),
            "-c",
            "copy",
            str(out),
        ]
        subprocess.run(cmd, check=True)
    return out


def looped_table(table: pd.DataFrame, n_frames: int, duration_s: float, loops: int):
    parts = []
    for k in range(loops):
        part = table.copy()
        part["frame"] += k * n_frames
        part["time_s"] += k * duration_s
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def ms(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {
        "median_ms": round(1000 * statistics.median(v), 1),
        "p90_ms": round(1000 * v[int(0.9 * (len(v) - 1))], 1),
        "max_ms": round(1000 * v[-1], 1),
    }


def scrub(explorer, positions: list[int]) -> list[float]:
    out = []
    for p in positions:
        explorer.show(p)
        out.append(explorer.last_update_s)
    return out


def measure(name: str, video: Path, analysis, n: int, rng: random.Random) -> dict:
    from emohelpers.analysis.frames import FrameReader
    from emohelpers.lab.explorer import ClipExplorer

    t0 = time.perf_counter()
    explorer = ClipExplorer(video, analysis)
    build_s = time.perf_counter() - t0
    count = len(explorer.frames)
    jumps = [rng.randrange(count) for _ in range(n)]
    start = rng.randrange(count - n - 1)
    result = {
        "clip": name,
        "analysed_frames": count,
        "build_s": round(build_s, 2),
        "random_jump": ms(scrub(explorer, jumps)),
        "step_forward": ms(scrub(explorer, list(range(start, start + n)))),
        "step_back": ms(scrub(explorer, list(range(start + n, start, -1)))),
    }
    explorer.close()
    with FrameReader(video) as reader:
        frames = [rng.randrange(len(reader)) for _ in range(n)]
        times = []
        for f in frames:
            t0 = time.perf_counter()
            reader.frame(f)
            times.append(time.perf_counter() - t0)
        result["reader_random_frame"] = ms(times)
        result["frames"] = len(reader)
    return result


def decode_from_start(video: Path, index: int) -> float:
    """Seconds to reach frame `index` by decoding from the start (the old way)."""
    from emohelpers.analysis.video import iter_frames

    t0 = time.perf_counter()
    for frame in iter_frames(video):
        if frame.index >= index:
            break
    return time.perf_counter() - t0


def main() -> None:
    import torch

    torch.set_num_threads(1)
    from emohelpers.analysis.pipeline import load_or_analyze
    from emohelpers.analysis.table import Analysis
    from emohelpers.core.assets import sample_clip

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=40)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "emo-scrub")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)

    sample = sample_clip()
    analysis = load_or_analyze(
        sample, args.work / "sample", model="mini-xception", every_n=1, progress=False
    )
    info = analysis.provenance.video
    long_video = looped_clip(sample, args.work / "sample_x30.mp4")
    long_table = looped_table(
        analysis.table, int(info["n_frames"]), float(info["duration_s"]), LOOPS
    )
    rows = [
        measure("sample 20 s", sample, analysis, args.positions, rng),
        measure(
            "10 min (x30)",
            long_video,
            Analysis(long_table, analysis.provenance),
            args.positions,
            rng,
        ),
    ]
    old = [decode_from_start(long_video, int(f)) for f in (7080, 14000)]
    print(
        f"{'clip':14} {'frames':>7} {'build s':>8} {'jump ms (med/p90)':>18} "
        f"{'step ms':>9} {'back ms':>9} {'reader ms':>10}"
    )
    for r in rows:
        print(
            f"{r['clip']:14} {r['analysed_frames']:>7} {r['build_s']:>8} "
            f"{r['random_jump']['median_ms']:>9}/{r['random_jump']['p90_ms']:<8} "
            f"{r['step_forward']['median_ms']:>9} {r['step_back']['median_ms']:>9} "
            f"{r['reader_random_frame']['median_ms']:>10}"
        )
    print(
        f"before (decode from the start), 10-minute clip: frame 7080 {old[0]:.2f} s, "
        f"frame 14000 {old[1]:.2f} s"
    )
    print(
        json.dumps(
            {"scrub": rows, "decode_from_start_s": [round(v, 2) for v in old], "target_s": 0.3}
        )
    )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
