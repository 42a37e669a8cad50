"""Sound that cannot be decoded is an error, never an empty result: a junk audio file
(`analyze-voice` exits 1, `evaluate-voice` counts it as a failed file with its reason) and
a clip whose sound track decodes to nothing or breaks (its voice block says "broken audio"
with the reason)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from emohelpers.analysis.voice.audio import read_audio
from emohelpers.core.errors import AudioReadError
from tests.voice.conftest import write_wav


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emohelpers", *args], capture_output=True, text=True, timeout=600
    )


def junk_audio_clip(video: Path, out: Path, codec: str) -> Path:
    """`video`'s picture with an audio stream of `codec` whose packets are junk."""
    with av.open(str(video)) as inp, av.open(str(out), "w") as dst:
        vin = inp.streams.video[0]
        vout = dst.add_stream_from_template(vin)
        aout = dst.add_stream(codec, rate=44100, layout="stereo")
        aout.time_base = Fraction(1, 44100)
        for pkt in inp.demux(vin):
            if pkt.dts is not None:
                pkt.stream = vout
                dst.mux(pkt)
        rng = np.random.default_rng(0)
        for i in range(60):
            data = b"\0" * 3 if codec == "flac" else rng.bytes(400)
            p = av.Packet(data)
            p.stream, p.pts, p.dts, p.duration = aout, i * 1152, i * 1152, 1152
            dst.mux(p)
    return out


@pytest.mark.parametrize("data", [b"junk!", os.urandom(3000)], ids=["5 bytes", "3 kB"])
def test_a_junk_flac_cannot_be_decoded(data, tmp_path):
    junk = tmp_path / "junk.flac"
    junk.write_bytes(data)
    with pytest.raises(AudioReadError, match="cannot be"):
        read_audio(junk)


def test_analyze_voice_on_a_junk_file_fails_in_one_line(tmp_path):
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"junk!")
    out = tmp_path / "out"
    run = _cli("analyze-voice", str(junk), "--out", str(out))
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "junk.flac" in lines[0] and "cannot be" in lines[0], lines
    assert not (out / "voice.parquet").exists()


def test_evaluate_voice_counts_a_junk_file_as_failed(tmp_path):
    folder = tmp_path / "labelled"
    (folder / "happy").mkdir(parents=True)
    (folder / "sad").mkdir()
    t = np.arange(16000 * 2) / 16000
    write_wav(folder / "happy" / "tone.wav", 0.3 * np.sin(2 * np.pi * 220 * t))
    (folder / "sad" / "junk.flac").write_bytes(b"junk!")
    run = _cli("evaluate-voice", str(folder), "--out", str(tmp_path / "m"))
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)
    assert result["n_failed"] == 1 and result["n"] == 1
    [failed] = result["failed"]
    assert failed["file"] == "sad/junk.flac" and "cannot be" in failed["reason"]
    assert "sad/junk.flac" not in result["no_speech"]
    assert "1 file(s) could not be decoded" in run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("codec", ["flac", "mp2"])
def test_a_clip_with_undecodable_sound_is_broken_audio(codec, sample_dir, tmp_path):
    from emohelpers.analysis.pipeline import analyze

    clip = junk_audio_clip(sample_dir / "single_face.mp4", tmp_path / f"clip-{codec}.mkv", codec)
    result = analyze(clip, model="mini-xception", every_n=24, progress=False)
    voice = result.provenance.voice
    assert voice["status"] == "broken audio", voice
    assert "clip-" in voice["message"] and "decoded" in voice["message"], voice
    assert not result.table.empty  # the faces are still analysed
