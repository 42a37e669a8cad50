"""Segments of a source cut into one H.264/AAC clip with PyAV: the reels and the segments
played with sound.

Pictures and sound come from the clip's `VideoSource`, on its clock, so that a segment
`[start_s, end_s)` shows and sounds what a player shows between those times. Output frame k
of a segment is the picture shown at `start_s + k / fps` (the source's rate); its sound is
the source's sound track over the same span, resampled to its own rate, cut to the sample.
Written as H.264 with yuv420p pixels (browsers play it) and AAC sound, under a temporary
name renamed when complete.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from emohelpers.analysis.source import VideoSource
from emohelpers.core.atomic import atomic_path
from emohelpers.core.errors import AudioReadError, VideoReadError

#: Samples per AAC frame.
_AAC_FRAME = 1024

Draw = Callable[[np.ndarray, float], np.ndarray]


def _even(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return rgb[: h - h % 2, : w - w % 2]


def _sound(source: VideoSource, start_s: float, end_s: float, rate: int, layout: str) -> np.ndarray:
    """(channels, n) float32 sound of `[start_s, end_s)`, n = its length in samples (silence
    where the source has none)."""
    channels = 2 if layout == "stereo" else 1
    n = int(round((end_s - start_s) * rate))
    out = np.zeros((channels, n), np.float32)
    for chunk in source.audio(
        10.0, start_s=max(0.0, start_s), end_s=end_s, rate=rate, layout=layout, seek=True
    ):
        x = chunk.samples.reshape(channels, -1)
        at = int(round((chunk.start_s - start_s) * rate))
        lo, hi = max(at, 0), min(at + x.shape[1], n)
        if hi > lo:
            out[:, lo:hi] = x[:, lo - at : hi - at]
    return out


def write_segments(
    source: VideoSource,
    segments: Sequence[tuple[float, float]],
    out_path: str | Path,
    draw: Draw | None = None,
    *,
    crf: int = 23,
    preset: str = "veryfast",
) -> Path:
    """Write the segments of `source`, one after the other, as one clip with sound.

    Args:
        source: the clip.
        segments: `(start_s, end_s)` pairs, seconds on the source's clock.
        out_path: the .mp4 to write.
        draw: `draw(rgb, time_s) -> rgb` applied to each picture (e.g. face boxes).
        crf, preset: x264 quality and speed.

    Returns:
        `out_path`.

    Raises:
        VideoReadError: the source cannot be read or the clip not written.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fps = Fraction(source.rate or 25).limit_denominator(1001)
    sound = source.audio_info()
    rate = sound.source_rate if sound.source_rate in (44100, 48000, 32000, 22050) else 48000
    layout = "stereo" if sound.channels >= 2 else "mono"
    try:
        with (
            atomic_path(out_path) as tmp,
            av.open(
                str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            ) as container,
        ):
            video = container.add_stream(
                "libx264", rate=fps, options={"crf": str(crf), "preset": preset}
            )
            video.pix_fmt, video.codec_context.time_base = "yuv420p", 1 / fps
            audio = None
            if sound.has_audio:
                audio = container.add_stream("aac", rate=rate)
                audio.layout = layout
            n_video = n_audio = 0
            for start_s, end_s in segments:
                n = max(1, math.ceil((end_s - start_s) * fps - 1e-6))
                times = start_s + np.arange(n) / float(fps)
                for t, rgb in zip(times, source.frames_at(times), strict=True):
                    picture = _even(draw(rgb, float(t)) if draw is not None else rgb)
                    if n_video == 0:
                        video.width, video.height = picture.shape[1], picture.shape[0]
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), "rgb24")
                    frame.pts, frame.time_base = n_video, 1 / fps
                    container.mux(video.encode(frame))
                    n_video += 1
                if audio is not None:
                    samples = _sound(
                        source, start_s, start_s + len(times) / float(fps), rate, layout
                    )
                    for at in range(0, samples.shape[1], _AAC_FRAME):
                        piece = np.ascontiguousarray(samples[:, at : at + _AAC_FRAME])
                        chunk = av.AudioFrame.from_ndarray(piece, format="fltp", layout=layout)
                        chunk.sample_rate, chunk.pts = rate, n_audio
                        container.mux(audio.encode(chunk))
                        n_audio += piece.shape[1]
            container.mux(video.encode())
            if audio is not None:
                container.mux(audio.encode())
    except (av.error.FFmpegError, AudioReadError, OSError, ValueError) as exc:
        raise VideoReadError(f"{out_path}: writing the clip failed ({exc})") from exc
    return out_path
