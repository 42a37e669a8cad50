"""Small synthetic media files for tests, written with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_video(
    path: Path,
    n_frames: int = 12,
    size: tuple[int, int] = (64, 48),
    fps: int = 12,
    times_s: list[float] | None = None,
) -> Path:
    """An H.264 clip whose frame i is filled with grey level 10 * i (mod 250).

    Args:
        path: output file (.mp4 or .mkv).
        n_frames: frame count.
        size: (width, height), even.
        fps: nominal frame rate.
        times_s: explicit presentation times (variable frame rate); default i / fps.
    """
    w, h = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"crf": "10", "bf": "0"}
        for i in range(n_frames):
            img = np.full((h, w, 3), (10 * i) % 250, np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            t = times_s[i] if times_s is not None else i / fps
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def make_audio_only(path: Path, seconds: float = 0.5) -> Path:
    """An AAC audio file with no video stream."""
    rate = 16000
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate)
        samples = (np.sin(np.arange(int(rate * seconds)) / 5) * 0.3).astype(np.float32)
        for start in range(0, len(samples), 1024):
            chunk = samples[start : start + 1024][None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = rate
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def splice(path: Path, segments: list[list[tuple[Path, float, float]]], fps: int = 24) -> Path:
    """A clip of hard cuts between pieces of real clips, made with imageio-ffmpeg's ffmpeg.

    Args:
        path: output .mp4 file.
        segments: the shots in order; each is a list of tiles `(clip, start_s, seconds)`
            laid side by side (each tile scaled to 640x360).
        fps: output frame rate; every shot lasts its tiles' seconds (the same for all).

    Returns:
        `path`, an H.264 yuv420p clip without sound.
    """
    import subprocess

    import imageio_ffmpeg

    inputs: list[str] = []
    filters, shots = [], []
    n = 0
    for s, tiles in enumerate(segments):
        labels = []
        for clip, start, seconds in tiles:
            inputs += ["-ss", f"{start}", "-t", f"{seconds}", "-i", str(clip)]
            filters.append(f"[{n}:v]scale=640:360,fps={fps},setsar=1,setpts=PTS-STARTPTS[t{n}]")
            labels.append(f"[t{n}]")
            n += 1
        if len(labels) > 1:
            filters.append(f"{''.join(labels)}hstack=inputs={len(labels)}[s{s}]")
        else:
            filters.append(f"{labels[0]}null[s{s}]")
        shots.append(f"[s{s}]")
    filters.append(f"{''.join(shots)}concat=n={len(shots)}:v=1:a=0[v]")
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        *inputs,
        "-filter_complex",
        ";".join(filters),
        "-map",
        "[v]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(fps),
        str(path),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def rotated_copy(src: Path, dst: Path, degrees: int = 90) -> Path:
    """`src` with display-rotation metadata of `degrees` (streams copied, pixels as they are)."""
    import subprocess  # as in `splice`: only the tests that need ffmpeg load it

    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-y",
            "-display_rotation:v:0",
            str(degrees),
            "-i",
            str(src),
            "-c",
            "copy",
            str(dst),
        ],
        check=True,
    )
    return dst
