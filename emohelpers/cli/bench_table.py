"""The benchmark's human table: each measure against its target, then the JSON line."""

from __future__ import annotations

import json
from typing import Any


def targets(s: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(measure, value, target, met) rows of the human table."""
    gpu = s["device"] != "cpu"
    r20, r10 = s["peak_rss_mb_20s"], s["peak_rss_mb_10min"]

    def at_least(v, t):
        return None if v is None else v >= t

    ms_own = s.get("classifier_ms_per_face_emo_vgg")
    return [
        (
            "analysis, emo-vgg, the default (frames/s)",
            s.get("analysis_fps_emo_vgg"),
            ">= 40",
            at_least(s.get("analysis_fps_emo_vgg"), 40),
        ),
        (
            "emo-vgg alone, batch 32 (ms/face)",
            ms_own,
            "<= 3",
            None if ms_own is None else ms_own <= 3,
        ),
        (
            "mini-xception alone, batch 32 (ms/face)",
            s.get("classifier_ms_per_face_mini_xception"),
            "",
            None,
        ),
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
