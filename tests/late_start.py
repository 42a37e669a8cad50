"""A clip whose video starts 0.85 s after its sound (issue 17), made with ffmpeg from the
sample clips: 2.5 s of `WolfgangLanger_Pexels.mp4`, then a cut to 1.5 s of
`single_face.mp4`, and a sound track of 0.1 s beeps at every whole second from 0."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np

#: The video stream starts this long after the sound (and the container).
VIDEO_DELAY_S = 0.85
#: The cut from the first clip to the second, seconds of the video stream.
CUT_AT_S = 2.5
#: Beeps of the sound track start at these container times, seconds.
BEEPS_S = (0.0, 1.0, 2.0, 3.0, 4.0)


def _ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-y", "-loglevel", "error", *args]
    subprocess.run(cmd, check=True, capture_output=True)


def make_late_start_clip(sample_dir: Path, out: Path) -> Path:
    """Write the clip to `out` (.mp4) and return it."""
    base = out.with_name(out.stem + "-base.mp4")
    graph = (
        "[0:v]trim=0:2.5,setpts=PTS-STARTPTS,fps=24000/1001[a];"
        "[1:v]trim=0:1.5,setpts=PTS-STARTPTS,scale=640:360,setsar=1,fps=24000/1001[b];"
        "[a][b]concat=n=2:v=1[v]"
    )
    beeps = "0.5*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.1)"
    _ffmpeg(
        "-i",
        str(sample_dir / "WolfgangLanger_Pexels.mp4"),
        "-i",
        str(sample_dir / "single_face.mp4"),
        "-f",
        "lavfi",
        "-i",
        f"aevalsrc={beeps}:s=48000:d=5",
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-map",
        "2:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "24",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        str(base),
    )
    _ffmpeg(
        "-itsoffset",
        str(VIDEO_DELAY_S),
        "-i",
        str(base),
        "-i",
        str(base),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c",
        "copy",
        str(out),
    )
    base.unlink()
    return out


def player_frame_times(path: Path) -> np.ndarray:
    """PyAV's own time of every video frame minus the container's start, seconds."""
    with av.open(str(path)) as c:
        start = (c.start_time or 0) / 1e6
        return np.array([f.time - start for f in c.decode(c.streams.video[0])])


def player_frames(path: Path, indices) -> dict[int, np.ndarray]:
    """The decoded RGB frames of these indices (PyAV, from the start, no seeking)."""
    wanted, out = set(int(i) for i in indices), {}
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(c.streams.video[0])):
            if i in wanted:
                out[i] = f.to_ndarray(format="rgb24")
    return out


def beep_onsets(path: Path) -> np.ndarray:
    """Where each beep of a file's sound starts, seconds minus the container's start."""
    with av.open(str(path)) as c:
        start = (c.start_time or 0) / 1e6
        s = c.streams.audio[0]
        chunks, first = [], None
        for f in c.decode(s):
            x = f.to_ndarray()
            if first is None:
                first, rate = f.time - start, f.sample_rate
            chunks.append(np.abs(x).max(axis=0))
    loud = np.concatenate(chunks) > 0.2
    rises = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    if loud[0]:
        rises = np.concatenate([[0], rises])
    # A beep is 0.1 s long: keep rises after 0.3 s of quiet (sine zero crossings aside).
    keep = [r for k, r in enumerate(rises) if k == 0 or r - rises[k - 1] > 0.3 * rate]
    return first + np.array(keep) / rate
