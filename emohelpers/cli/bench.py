"""Speed and memory benchmark on a sample clip, each measurement in its own child process.

Measured: analysis (decode, detect, track, classify) with mini-xception and with a ViT-base
(random weights: the same compute as the seeds' model), the annotated radar video, the main
job (`emohelpers report`), peak memory on the 20 s clip and on a 10-minute loop of it, and
the seeds' loop reproduced on a few of the same frames in the same run, so that the speed-up
holds on a noisy machine. The human table comes first; the LAST line printed is one JSON
object. How to run it and the figures measured: docs/benchmark.md.

This module is the parent: the plan of steps, the child processes and the summary; the
child tasks are `bench_tasks`, the human table `bench_table`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from emohelpers.cli.bench_table import print_summary
from emohelpers.cli.bench_tasks import child_main
from emohelpers.core.assets import sample_clip
from emohelpers.core.device import resolve_device

CLIP = "WolfgangLanger_Pexels.mp4"
LONG_LOOPS = 30  # the 10-minute clip: the 20 s sample clip played 30 times (-stream_loop 29)
UHD_SECONDS = 1.0  # the 4K clip: the sample clip's first second scaled to 3840x2160
CHILD_TIMEOUT_S = 3600


def run_child(task: str, **kwargs: Any) -> dict[str, Any]:
    """Run one task in a fresh interpreter; its result, or {"error": reason}."""
    with tempfile.TemporaryDirectory(prefix="emohelpers-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "emohelpers.cli.bench_tasks",
            task,
            json.dumps(kwargs),
            str(out),
        ]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {"error": f"{task} did not finish within {CHILD_TIMEOUT_S} s"}
        wall = time.perf_counter() - t0
        if proc.returncode or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {"error": f"{task} exited {proc.returncode}: {' | '.join(tail)}"}
        result = json.loads(out.read_text())
        result["child_wall_s"] = round(wall, 2)
        return result


def _report(clip: Path, device: str, out_dir: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "emohelpers",
        "-q",
        "report",
        str(clip),
        "--out",
        str(out_dir),
        "--model",
        "mini-xception",
        "--device",
        device,
    ]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"emohelpers report did not finish: {exc}"}
    wall = time.perf_counter() - t0
    if proc.returncode or not (out_dir / "index.html").is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"emohelpers report exited {proc.returncode}: {' | '.join(tail)}"}
    return {"wall_s": round(wall, 2)}


def _long_clip(clip: Path, out: Path) -> Path:
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-stream_loop",
        str(LONG_LOOPS - 1),
        "-i",
        str(clip),
        "-c",
        "copy",
        str(out),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def _uhd_clip(clip: Path, out: Path) -> Path:
    """The sample clip's first `UHD_SECONDS` scaled to 3840x2160 (H.264, every frame kept)."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-i",
        str(clip),
        "-t",
        str(UHD_SECONDS),
        "-vf",
        "scale=3840:2160",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "23",
        "-an",
        str(out),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def _get(d: dict | None, key: str) -> Any:
    return None if not d or "error" in d else d.get(key)


def _plan(args: argparse.Namespace, clip: str, device: str, work: Path) -> list:
    """The steps the options ask for: (name, task, keyword arguments); a callable argument
    is made just before its step runs."""
    plan: list[tuple[str, str, dict[str, Any]]] = []

    def add(name: str, task: str, **kwargs: Any) -> None:
        plan.append((name, task, kwargs))

    repeats = 1 if args.quick else args.repeats
    speed = {
        "device": device,
        "repeats": repeats,
        "warmup": True,
        "batch_frames": args.batch_frames,
    }
    if not args.skip_seed_loop:
        add("seed_loop", "seed_loop", clip=clip, device=device, n_frames=4 if args.quick else 8)
    add(
        "emo_vgg",
        "analysis",
        clip=clip,
        model="emo-vgg",
        end_s=None,
        **speed,
    )
    add(
        "classifier",
        "classifier",
        models=["emo-vgg", "mini-xception"],
        device=device,
        batch=32,
        n_faces=256,
    )
    add(
        "mini_xception",
        "analysis",
        clip=clip,
        model="mini-xception",
        end_s=None,
        save_to=str(work / "analysis"),
        **speed,
    )
    if not args.skip_vit:  # on a CPU only the first seconds of the clip: ~6 faces/s
        end_s = (2.0 if args.quick else 5.0) if device == "cpu" else None
        add("vit", "analysis", clip=clip, model="vit-base-random", end_s=end_s, **speed)
    if not args.skip_render:
        add("render", "render", clip=clip, analysis_dir=str(work / "analysis"), out_dir=str(work))
    if not (args.quick or args.skip_long):
        memory = {
            "device": device,
            "model": "mini-xception",
            "repeats": 1,
            "end_s": None,
            "warmup": False,
        }
        add("memory_20s", "analysis", clip=clip, **memory)
        add(
            "memory_10min",
            "analysis",
            **memory,
            clip=lambda: str(_long_clip(Path(clip), work / "long.mp4")),
        )
    if not (args.quick or args.skip_4k):
        add(
            "memory_4k",
            "analysis",
            device=device,
            model="mini-xception",
            repeats=1,
            end_s=None,
            warmup=False,
            clip=lambda: str(_uhd_clip(Path(clip), work / "uhd.mp4")),
        )
    if not args.skip_report:
        add("report", "report", clip=Path(clip), device=device, out_dir=work / "report")
    return plan


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement the options ask for; returns the JSON-able summary."""
    device = str(resolve_device(args.device))
    load_start = os.getloadavg()[0]
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="emohelpers-bench-") as tmp:
        for name, task, kwargs in _plan(args, str(sample_clip(CLIP)), device, Path(tmp)):
            print(f"... {name}", file=sys.stderr, flush=True)
            kwargs = {k: v() if callable(v) else v for k, v in kwargs.items()}
            res[name] = _report(**kwargs) if task == "report" else run_child(task, **kwargs)
    return summarise(res, device, args.quick, load_start)


def summarise(res: dict[str, Any], device: str, quick: bool, load_start: float) -> dict:
    """The JSON summary from the steps' results (missing steps and errors give null)."""
    mx, vit, render = res.get("mini_xception"), res.get("vit"), res.get("render")
    own, clf = res.get("emo_vgg"), res.get("classifier")
    seed, report = res.get("seed_loop"), res.get("report")
    fps, render_fps = _get(mx, "fps"), _get(render, "fps")
    seed_s = _get(seed, "s_per_frame")
    ours_s = 1 / fps + 1 / render_fps if fps and render_fps else None
    frames = _get(mx, "frames")
    report_s = _get(report, "wall_s")
    rss_20 = _get(res.get("memory_20s"), "peak_rss_mb") or _get(mx, "peak_rss_mb")
    out = {
        "clip": CLIP,
        "device": device,
        "quick": quick,
        "cpu_count": os.cpu_count(),
        "load_avg_start": round(load_start, 2),
        "load_avg_end": round(os.getloadavg()[0], 2),
        "frames": frames,
        "analysis_fps_emo_vgg": _get(own, "fps"),
        "classifier_ms_per_face_emo_vgg": (_get(clf, "emo-vgg") or {}).get("ms_per_face"),
        "classifier_ms_per_face_mini_xception": (_get(clf, "mini-xception") or {}).get(
            "ms_per_face"
        ),
        "analysis_fps_mini_xception": fps,
        "analysis_faces_per_s_vit": _get(vit, "faces_per_s"),
        "render_fps": render_fps,
        "report_wall_s": report_s,
        "peak_rss_mb_20s": rss_20,
        "peak_rss_mb_10min": _get(res.get("memory_10min"), "peak_rss_mb"),
        "peak_rss_mb_4k": _get(res.get("memory_4k"), "peak_rss_mb"),
        "seed_loop_s_per_frame": seed_s,
        "speedup_vs_seed_loop": round(seed_s / ours_s, 1) if seed_s and ours_s else None,
        "speedup_main_job_vs_seed_loop": (
            round(seed_s * frames / report_s, 1) if seed_s and frames and report_s else None
        ),
    }
    out["errors"] = {k: v["error"] for k, v in res.items() if v and "error" in v}
    out["details"] = res
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The benchmark's options (shared by benchmarks/run.py and `emohelpers bench`)."""
    p.add_argument(
        "--quick",
        action="store_true",
        help="one repetition, fewer seed-loop frames, no 10-minute clip",
    )
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto (default: cpu)")
    p.add_argument("--repeats", type=int, default=3, help="timed analyses per model (best)")
    p.add_argument(
        "--batch-frames",
        type=int,
        default=16,
        help="frames per detector call in the speed runs (analyze's default: 16)",
    )
    for step in ("report", "vit", "render", "seed-loop", "long", "4k"):
        p.add_argument(f"--skip-{step}", action="store_true", help=f"skip the {step} step")


def main(argv: list[str] | None = None) -> int:
    """benchmarks/run.py's entry point (and the child processes')."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(*argv[1:4])
        return 0
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    add_arguments(p)
    print_summary(run(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.exit(main())
