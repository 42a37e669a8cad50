"""Real speech for the voice tests: espeak-ng synthesises it (skipped with a reason when the
Debian package is absent), ffmpeg muxes it into a clip. Made once per session, on demand."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

SENTENCES = {
    "speech": "Hello everyone. Today I want to tell you about the voice channel of this tool. "
    "It listens to what people say and how they say it.",
    "short": "Good morning, and welcome.",
}


def espeak(text: str, path: Path) -> Path:
    """Synthesise `text` into a WAV file (22.05 kHz mono) with espeak-ng."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng); no speech to test")
    subprocess.run([exe, "-w", str(path), text], check=True, capture_output=True)
    return path


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *args]
    subprocess.run(cmd, check=True, capture_output=True)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """A 16-bit mono WAV of float samples in [-1, 1]."""
    import wave

    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("voice-media")


@pytest.fixture(scope="session")
def speech_wav(media) -> Path:
    """About 9 s of synthetic English speech."""
    return espeak(SENTENCES["speech"], media / "speech.wav")


@pytest.fixture(scope="session")
def speech_clip(media, speech_wav) -> Path:
    """A 640x360 24 fps H.264 clip whose AAC stereo 44.1 kHz sound track is 1 s of silence,
    the speech, then 2 s of silence."""
    out = media / "speech_clip.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=640x360:r=24",
        "-i",
        str(speech_wav),
        "-filter_complex",
        "[1:a]adelay=1000|1000,apad=pad_dur=2,aresample=44100[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-ac",
        "2",
        "-shortest",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(out),
    )
    return out


@pytest.fixture(scope="session")
def silent_video(media) -> Path:
    """A 3 s clip without any sound track."""
    out = media / "no_sound.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=160x120:r=12",
        "-t",
        "3",
        "-an",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(out),
    )
    return out


@pytest.fixture(scope="session")
def silence_and_noise(media) -> dict[str, Path]:
    """4 s of digital silence and 4 s of white noise, 16 kHz WAV."""
    rng = np.random.default_rng(0)
    return {
        "silence": write_wav(media / "silence.wav", np.zeros(64000)),
        "noise": write_wav(media / "noise.wav", rng.normal(0, 0.1, 64000)),
    }


@pytest.fixture(scope="session")
def detector():
    from emohelpers.analysis.voice.vad import SpeechDetector
    from emohelpers.core.errors import AssetError

    try:
        return SpeechDetector()
    except AssetError as exc:
        pytest.skip(f"silero-vad weights unavailable: {exc}")


@pytest.fixture(scope="session")
def face_speech_clip(media, speech_wav, sample_dir) -> Path:
    """The sample clip WolfgangLanger_Pexels.mp4 (one face, 20 s) with its silent sound
    track replaced by 1 s of silence, the speech, then silence to the end of the video."""
    out = media / "face_speech.mp4"
    ffmpeg(
        "-i",
        str(sample_dir / "WolfgangLanger_Pexels.mp4"),
        "-i",
        str(speech_wav),
        "-filter_complex",
        "[1:a]adelay=1000|1000,apad,aresample=44100[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-shortest",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        str(out),
    )
    return out
