"""Cost of persons: shot detection, tracking and re-identification (issue 10).

    .venv/bin/python benchmarks/tracking.py           # sample clip every_n 1, 10; a spliced clip
    .venv/bin/python benchmarks/tracking.py --quick   # every_n 10 only

Prints a human table, then one JSON object as the last line:
- tracking + re-ID cost in ms per analysed frame and its share of the analysis time;
- shot detection cost in ms per decoded frame and seconds per minute of video (it runs in
  the decoder thread, on every decoded frame, analysed or not);
- the same analysis with re-identification off, for the frames/s it costs;
- the face-descriptor distances the re-identification threshold is calibrated on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch

from emohelpers.analysis.classifiers import load_classifier
from emohelpers.analysis.pipeline import analyze
from emohelpers.analysis.tracking.shots import ShotDetector
from emohelpers.core.assets import sample_clip
from emohelpers.core.settings import TrackerSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.media import splice  # noqa: E402  (the test clips' splicer)


def shot_cost(path) -> tuple[float, float, int]:
    """(seconds decoding, seconds in the shot detector, frames) for every frame of `path`."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        det = ShotDetector()
        t0 = time.perf_counter()
        for i, f in enumerate(c.decode(s)):
            det.update(f, i, float(f.pts * s.time_base))
        return time.perf_counter() - t0 - det.seconds, det.seconds, i + 1


def calibration() -> dict:
    """dlib descriptor distances between faces of the sample clips (2 people)."""
    from emohelpers.analysis.detect import DetectorSettings, FaceDetector
    from emohelpers.analysis.tracking.reid import FaceEmbedder, _crop
    from emohelpers.analysis.video import iter_frames

    det = FaceDetector(DetectorSettings(), device=torch.device("cpu"), batch_size=8)
    emb = FaceEmbedder()
    groups = {}
    for name in (
        "WolfgangLanger_Pexels.mp4",
        "single_face.mp4",
        "face_noface.mov",
        "noface_face.mov",
    ):
        frames = list(iter_frames(sample_clip(name), fps=2))
        crops = [
            _crop(f.rgb, b)
            for f, d in zip(frames, det.detect([f.rgb for f in frames]), strict=True)
            for b in d.xyxy
        ]
        t0 = time.perf_counter()
        e = emb.embed([c for c, _ in crops], np.array([b for _, b in crops]))
        groups[name] = (e, (time.perf_counter() - t0) / max(1, len(crops)))
    woman = groups["WolfgangLanger_Pexels.mp4"][0]
    man = np.concatenate([groups[n][0] for n in groups if n != "WolfgangLanger_Pexels.mp4"])
    rng = np.random.default_rng(0)

    def means(e):  # track descriptors: the mean of 3 faces, as re-identification uses
        return np.array([e[rng.choice(len(e), 3, replace=False)].mean(0) for _ in range(200)])

    def dist(a, b):
        return np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))

    mw, mm = means(woman), means(man)
    iu = np.triu_indices(len(mw), 1)
    return {
        "faces": {"woman": len(woman), "man": len(man)},
        "embed_ms_per_face": round(float(1e3 * np.mean([g[1] for g in groups.values()])), 1),
        "same_person_face_max": round(
            float(max(dist(woman, woman).max(), dist(man, man).max())), 3
        ),
        "different_face_min": round(float(dist(woman, man).min()), 3),
        "same_person_track_max": round(
            float(max(dist(mw, mw)[iu].max(), dist(mm, mm)[iu].max())), 3
        ),
        "different_track_min": round(float(dist(mw, mm).min()), 3),
        "threshold": TrackerSettings().reid_max_distance,
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    clip = sample_clip()
    clf = load_classifier("mini-xception", torch.device("cpu"))
    decode_s, shots_s, n_decoded = min((shot_cost(clip) for _ in range(3)), key=lambda r: r[1])
    with av.open(str(clip)) as c:
        minutes = float(c.streams.video[0].duration * c.streams.video[0].time_base) / 60
    result = {
        "clip": clip.name,
        "decode_ms_per_frame": round(1e3 * decode_s / n_decoded, 3),
        "shots_ms_per_decoded_frame": round(1e3 * shots_s / n_decoded, 3),
        "shots_s_per_video_minute": round(shots_s / minutes, 3),
        "runs": [],
    }
    print(
        f"shot detection: {result['shots_ms_per_decoded_frame']} ms per decoded frame "
        f"(decoding: {result['decode_ms_per_frame']} ms), "
        f"{result['shots_s_per_video_minute']} s per minute of video"
    )
    # The sample clip (one track: nothing to re-identify) and a spliced woman-man-woman clip
    # (three tracks, two shots of one person: re-identification embeds 3 faces per track).
    spliced = splice(
        Path(tempfile.mkdtemp()) / "wmw.mp4",
        [[(clip, 0, 5)], [(sample_clip("single_face.mp4"), 0, 2)], [(clip, 10, 5)]],
    )
    cases = [(clip, n) for n in ([10] if args.quick else [1, 10])] + [(spliced, 4)]
    analyze(clip, every_n=10, classifier=clf, progress=False, end_s=2)  # warm up
    for video, every_n in cases:
        for reid in (True, False):
            _, prov = analyze(
                video,
                every_n=every_n,
                classifier=clf,
                progress=False,
                tracker=TrackerSettings(reid=reid),
            )
            s = prov.summary
            run = {
                "clip": video.name,
                "every_n": every_n,
                "reid": reid,
                "frames": s["frames_analysed"],
                "frames_per_s": s["frames_per_s"],
                "tracking_ms_per_frame": round(
                    1e3 * s["tracking_seconds"] / s["frames_analysed"], 2
                ),
                "tracking_share": round(s["tracking_seconds"] / s["seconds"], 4),
                "shots_share": round(s["shot_detection_seconds"] / s["seconds"], 4),
                "persons": s["persons"],
            }
            result["runs"].append(run)
            print(
                f"{video.name[:12]:<12} every_n={every_n:<3} reid={reid!s:<5} "
                f"{run['frames_per_s']:7.2f} frames/s  "
                f"tracking+reid {run['tracking_ms_per_frame']:6.2f} ms/frame "
                f"({100 * run['tracking_share']:.1f}% of analysis), shots "
                f"{100 * run['shots_share']:.1f}%, persons {run['persons']}"
            )
    result["calibration"] = calibration()
    print("re-identification calibration:", result["calibration"])
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
