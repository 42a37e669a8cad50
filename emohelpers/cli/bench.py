"""Speed and memory benchmark on a sample clip, each measurement in its own child process.

Measured: analysis (decode, detect, track, classify) with mini-xception and with a ViT-base
(random weights: the same compute as the seeds' model), the annotated radar video, the main
job (`emohelpers report`), peak memory on the 20 s clip and on a 10-minute loop of it, and
the seeds' loop reproduced on a few of the same frames in the same run, so that the speed-up
holds on a noisy machine. The human table comes first; the LAST line printed is one JSON
object. How to run it and the figures measured: docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CLIP = "WolfgangLanger_Pexels.mp4"
LONG_LOOPS = 30  # the 10-minute clip: the 20 s sample clip played 30 times (-stream_loop 29)
UHD_SECONDS = 1.0  # the 4K clip: the sample clip's first second scaled to 3840x2160
CHILD_TIMEOUT_S = 3600


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- child tasks: each runs in a fresh interpreter and returns a JSON-able dict ------------


def _analysis(
    clip: str,
    model: str,
    device: str,
    repeats: int,
    end_s: float | None,
    warmup: bool,
    batch_frames: int = 16,
    save_to: str | None = None,
) -> dict[str, Any]:
    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.pipeline import analyze

    with tempfile.TemporaryDirectory(prefix="emohelpers-vit-") as tmp:
        if model == "vit-base-random":
            model = _make_vit(tmp)
        clf = load_classifier(model, device)  # in memory now; the folder may go
    # Faces only: the voice channel's speed is benchmarks/voice.py's figure.
    kwargs = {
        "classifier": clf,
        "device": device,
        "batch_frames": batch_frames,
        "progress": False,
        "voice_enabled": False,
    }
    if warmup:  # first calls pay for lazy initialisation in torch and the decoder
        analyze(clip, end_s=0.5, **kwargs)
    seconds, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = analyze(clip, end_s=end_s, **kwargs)
        seconds.append(time.perf_counter() - t0)
    summary = result.provenance.summary
    if save_to:
        result.save(save_to)
    best = min(seconds)
    return {
        "frames": summary["frames_analysed"],
        "faces": summary["faces"],
        "seconds": [round(s, 3) for s in seconds],
        "fps": round(summary["frames_analysed"] / best, 2),
        "faces_per_s": round(summary["faces"] / best, 2),
    }


def _make_vit(folder: str) -> str:
    """A ViT-base/16 at 224 px with random weights and the seven labels, saved locally."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    from emohelpers.analysis.table import EMOTIONS

    torch.manual_seed(0)
    config = ViTConfig(
        num_labels=len(EMOTIONS),
        id2label=dict(enumerate(EMOTIONS)),
        label2id={e: i for i, e in enumerate(EMOTIONS)},
    )
    ViTForImageClassification(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 224, "width": 224}).save_pretrained(folder)
    return folder


def _render(clip: str, analysis_dir: str, out_dir: str) -> dict[str, Any]:
    from emohelpers.analysis.table import Analysis
    from emohelpers.figures.render import render_annotated_video

    table = Analysis.load(analysis_dir).table
    t0 = time.perf_counter()  # includes the one kaleido export of the radar background
    render_annotated_video(clip, table, Path(out_dir) / "annotated.mp4", progress=False)
    cold = time.perf_counter() - t0
    frames = int(table["frame"].nunique())
    return {"frames": frames, "seconds": round(cold, 3), "fps": round(frames / cold, 2)}


def _seed_loop(clip: str, device: str, n_frames: int) -> dict[str, Any]:
    """The seeds' loop: the whole video decoded into memory first, then per frame a new
    MTCNN (the seeds re-read their config every frame), facenet's own detect on one frame,
    one classifier call per face, and one Plotly radar exported with kaleido per frame."""
    import plotly.io as pio
    import torch
    from facenet_pytorch import MTCNN

    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.detect import DetectorSettings, crop_faces
    from emohelpers.analysis.video import iter_frames
    from emohelpers.figures.core_figures import radar_figure

    t0 = time.perf_counter()
    frames = [f.rgb for f in iter_frames(clip)]  # the seeds held the whole clip
    decode_s = time.perf_counter() - t0
    clf = load_classifier("mini-xception", device, batch_size=1)
    settings = DetectorSettings()
    picks = np.linspace(0, len(frames) - 1, n_frames).round().astype(int)
    per_frame = []
    for i in picks:
        t0 = time.perf_counter()
        mtcnn = MTCNN(
            keep_all=True,
            min_face_size=settings.min_face_px,
            post_process=False,
            device=torch.device(device),
        )
        boxes, probs = mtcnn.detect(frames[i])
        faces = [] if boxes is None else boxes[np.asarray(probs) >= settings.min_det_prob]
        scores = {}
        for k, crop in enumerate(crop_faces(frames[i], np.asarray(faces).reshape(-1, 4))):
            scores[f"person {k}"] = clf.predict([crop])[0]
        fig = radar_figure(scores or {"none": np.zeros(7)})
        pio.to_image(fig, format="png", width=480, height=480)
        per_frame.append(time.perf_counter() - t0)
    s_per_frame = decode_s / len(frames) + float(np.mean(per_frame))
    return {
        "frames_timed": len(picks),
        "decode_all_s": round(decode_s, 3),
        "per_frame_s": [round(s, 3) for s in per_frame],
        "s_per_frame": round(s_per_frame, 3),
    }


_TASKS = {"analysis": _analysis, "render": _render, "seed_loop": _seed_loop}


def _child_main(task: str, kwargs_json: str, out_json: str) -> None:
    result = _TASKS[task](**json.loads(kwargs_json))
    result["peak_rss_mb"] = _peak_rss_mb()
    Path(out_json).write_text(json.dumps(result))


# --- the parent ------------------------------------------------------------------------


def run_child(task: str, **kwargs: Any) -> dict[str, Any]:
    """Run one task in a fresh interpreter; its result, or {"error": reason}."""
    with tempfile.TemporaryDirectory(prefix="emohelpers-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "emohelpers.cli.bench",
            "--child",
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
    import imageio_ffmpeg

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
    import imageio_ffmpeg

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
    from emohelpers.core.assets import sample_clip
    from emohelpers.core.device import resolve_device

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


def targets(s: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(measure, value, target, met) rows of the human table."""
    gpu = s["device"] != "cpu"
    r20, r10 = s["peak_rss_mb_20s"], s["peak_rss_mb_10min"]

    def at_least(v, t):
        return None if v is None else v >= t

    return [
        (
            "analysis, mini-xception (frames/s)",
            s["analysis_fps_mini_xception"],
            ">= 40",
            at_least(s["analysis_fps_mini_xception"], 40),
        ),
        (
            "analysis, ViT-base (faces/s)",
            s["analysis_faces_per_s_vit"],
            ">= 300" if gpu else ">= 5",
            at_least(s["analysis_faces_per_s_vit"], 300 if gpu else 5),
        ),
        (
            "annotated radar video (frames/s)",
            s["render_fps"],
            ">= 15",
            at_least(s["render_fps"], 15),
        ),
        (
            "main job: emohelpers report (s)",
            s["report_wall_s"],
            "<= 90",
            None if s["report_wall_s"] is None else s["report_wall_s"] <= 90,
        ),
        ("peak RSS, 20 s clip (MB)", r20, "", None),
        (
            "peak RSS, 10 min clip (MB)",
            r10,
            "<= 1.3x 20 s, < 2048",
            None if not (r10 and r20) else r10 <= 1.3 * r20 and r10 < 2048,
        ),
        (
            "peak RSS, 1 s at 3840x2160 (MB)",
            s.get("peak_rss_mb_4k"),
            "< 2048",
            None if s.get("peak_rss_mb_4k") is None else s["peak_rss_mb_4k"] < 2048,
        ),
        ("seeds' loop (s/frame)", s["seed_loop_s_per_frame"], "", None),
        ("speed-up vs the seeds' loop (x)", s["speedup_vs_seed_loop"], "", None),
        ("main job speed-up vs the seeds' loop (x)", s["speedup_main_job_vs_seed_loop"], "", None),
    ]


def print_summary(s: dict[str, Any]) -> None:
    """The human table, then the JSON object as the last line."""
    mark = {True: "yes", False: "NO", None: "-"}
    print(
        f"emohelpers benchmark: {s['clip']}, {s['frames']} frames, device {s['device']}, "
        f"{s['cpu_count']} CPUs, load {s['load_avg_start']} -> {s['load_avg_end']}"
    )
    print(f"{'measure':44} {'value':>10}  {'target':22} met")
    for name, value, target, met in targets(s):
        shown = "null" if value is None else f"{value:g}"
        print(f"{name:44} {shown:>10}  {target:22} {mark[met]}")
    for step, error in s["errors"].items():
        print(f"{step}: {error}")
    print(json.dumps({k: v for k, v in s.items() if k != "details"} | {"details": s["details"]}))


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
        _child_main(*argv[1:4])
        return 0
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    add_arguments(p)
    print_summary(run(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.exit(main())
