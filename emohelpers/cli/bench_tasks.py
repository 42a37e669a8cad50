"""The benchmark's child tasks: each runs in a fresh interpreter (`python -m
emohelpers.cli.bench_tasks TASK KWARGS_JSON OUT_JSON`) and writes one JSON-able dict.

The tasks import the analysis inside their functions: the parent process (and
`emohelpers --help`) never loads torch.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from emohelpers.analysis.table import EMOTIONS, Analysis
from emohelpers.core.errors import ParameterError


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


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
    # torch and the models load in the child process only: the parent stays light
    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.pipeline import analyze

    with tempfile.TemporaryDirectory(prefix="emohelpers-vit-") as tmp:
        if model == "vit-base-random":
            model = _make_vit(tmp)
        clf = load_classifier(model, device)  # in memory now; the folder may go
    if repeats < 1:
        raise ParameterError(f"repeats={repeats}: the benchmark times at least one analysis")

    def once(end: float | None) -> Analysis:
        # Faces only: the voice channel's speed is benchmarks/voice.py's figure.
        return analyze(
            clip,
            end_s=end,
            classifier=clf,
            device=device,
            batch_frames=batch_frames,
            progress=False,
            voice_enabled=False,
        )

    if warmup:  # first calls pay for lazy initialisation in torch and the decoder
        once(0.5)
    seconds: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = once(end_s)
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
    # torch and transformers: only in the child process that measures the ViT
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    torch.manual_seed(0)
    config = ViTConfig(  # num_labels follows from id2label
        id2label=dict(enumerate(EMOTIONS)),
        label2id={e: i for i, e in enumerate(EMOTIONS)},
    )
    ViTForImageClassification(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 224, "width": 224}).save_pretrained(folder)
    return folder


def _render(clip: str, analysis_dir: str, out_dir: str) -> dict[str, Any]:
    # PyAV, plotly and kaleido: only in the child process that measures rendering
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
    # torch, facenet, PyAV and plotly: only in the child process that measures the seeds' loop
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


def _classifier(models: list[str], device: str, batch: int, n_faces: int) -> dict[str, Any]:
    """Each classifier alone (preprocessing and forward pass, `predict`) on `n_faces` real
    face crops of the sample clip at batch `batch`: ms per face, best of three passes."""
    # torch and the models load in the child process only: the parent stays light
    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.detect import FaceDetector, crop_faces
    from emohelpers.analysis.frames import read_frames
    from emohelpers.core.assets import sample_clip
    from emohelpers.core.device import resolve_device

    clip = sample_clip("WolfgangLanger_Pexels.mp4")
    frames = read_frames(clip, list(range(0, 240, 8)))
    detector = FaceDetector(device=resolve_device(device))
    crops = [c for f in frames.values() for c in crop_faces(f, detector.detect([f])[0].xyxy)]
    crops = (crops * (n_faces // max(len(crops), 1) + 1))[:n_faces]
    out: dict[str, Any] = {"faces": len(crops), "batch": batch}
    for name in models:
        clf = load_classifier(name, device, batch_size=batch)
        clf.predict(crops[:batch])  # warm-up
        best = min(_timed(clf.predict, crops) for _ in range(3))
        out[name] = {"ms_per_face": round(1000 * best / len(crops), 3)}
    return out


def _timed(fn: Callable[..., Any], *args: Any) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


_TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "analysis": _analysis,
    "classifier": _classifier,
    "render": _render,
    "seed_loop": _seed_loop,
}


def child_main(task: str, kwargs_json: str, out_json: str) -> None:
    result = _TASKS[task](**json.loads(kwargs_json))
    result["peak_rss_mb"] = _peak_rss_mb()
    Path(out_json).write_text(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    child_main(*sys.argv[1:4])
