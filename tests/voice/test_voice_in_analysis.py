"""The voice channel inside `analyze`, `load_or_analyze` and `emohelpers analyze`: real clips
(the sample clip's digitally silent track, espeak-ng speech muxed into it, no sound track)
and the real offline models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.table import EMOTIONS, Analysis
from emohelpers.analysis.video import probe_video
from emohelpers.analysis.voice.table import VOICE_COLUMNS, VOICE_FILE, validate_voice_table

pytestmark = pytest.mark.slow

#: Few frames: the faces are not what these tests are about.
FAST = {"model": "mini-xception", "every_n": 48, "progress": False}


def _speech(voice: pd.DataFrame) -> np.ndarray:
    return voice[list(EMOTIONS)].notna().all(axis=1).to_numpy()


def _within(voice: pd.DataFrame, duration_s: float) -> None:
    assert (voice["start_s"] >= 0).all() and (voice["end_s"] > voice["start_s"]).all()
    assert voice["end_s"].max() <= duration_s + 0.05


def test_silent_track_gives_non_speech_rows(sample_dir, tmp_path):
    from emohelpers.analysis.pipeline import analyze

    clip = sample_dir / "WolfgangLanger_Pexels.mp4"
    result = analyze(clip, **FAST)
    voice, block = result.voice, result.provenance.voice
    validate_voice_table(voice)
    assert tuple(voice.columns) == VOICE_COLUMNS
    assert block["status"] == "ok" and block["n_speech_windows"] == 0
    assert len(voice) == block["n_windows"] >= 18  # 2 s windows every 1 s over ~20 s
    assert not _speech(voice).any() and voice["emotion"].isna().all()
    _within(voice, probe_video(clip).duration_s)
    assert block["key"] == result.provenance.settings.voice_cache_key(
        result.provenance.video_sha256
    )
    back = Analysis.load(result.save(tmp_path))
    pd.testing.assert_frame_equal(back.voice, voice)
    assert back.provenance.voice == json.loads(json.dumps(block, default=str))


def test_speech_is_analysed_saved_and_reloaded(face_speech_clip, tmp_path):
    from emohelpers.analysis.pipeline import analyze

    result = analyze(face_speech_clip, **FAST)
    voice = result.voice
    speech = _speech(voice)
    # 1 s of silence, ~9 s of speech, silence to 20 s: speech windows in the first half only.
    assert speech[2:7].all() and not speech[0] and not speech[-5:].any()
    assert result.provenance.voice["n_speech_windows"] == speech.sum()
    assert set(voice.loc[speech, "emotion"]) <= set(EMOTIONS)
    _within(voice, probe_video(face_speech_clip).duration_s)
    out = result.save(tmp_path / "a")
    assert (out / VOICE_FILE).is_file() and (out / "emotions.parquet").is_file()
    assert not list(out.glob("*.tmp"))
    back = Analysis.load(out)
    pd.testing.assert_frame_equal(back.voice, voice)
    assert back.provenance.settings.voice == result.provenance.settings.voice


def test_time_range_applies_to_the_voice(face_speech_clip):
    from emohelpers.analysis.pipeline import analyze

    result = analyze(face_speech_clip, start_s=2.0, end_s=6.0, **FAST)
    voice = result.voice
    assert voice["start_s"].iloc[0] == pytest.approx(2.0, abs=0.01)
    assert voice["end_s"].iloc[-1] == pytest.approx(6.0, abs=0.01)
    assert result.provenance.voice["audio_s"] == pytest.approx(4.0, abs=0.01)


def test_no_sound_track_and_no_voice(tmp_path, silent_video, sample_dir):
    from emohelpers.analysis.pipeline import analyze

    result = analyze(silent_video, **FAST)
    assert result.voice is not None and result.voice.empty
    assert result.provenance.voice["status"] == "no audio"
    back = Analysis.load(result.save(tmp_path / "silent"))
    assert back.voice is not None and back.voice.empty
    off = analyze(sample_dir / "single_face.mp4", voice_enabled=False, **FAST)
    assert off.voice is None and off.provenance.voice["status"] == "off"
    assert off.provenance.settings.voice.enabled is False
    # Saving over a folder that held a voice table removes it: no stale voice.parquet.
    off.save(tmp_path / "silent")
    assert not (tmp_path / "silent" / VOICE_FILE).exists()
    assert Analysis.load(tmp_path / "silent").voice is None


def test_load_or_analyze_reuses_faces_and_voice_apart(face_speech_clip, tmp_path):
    from emohelpers.analysis.pipeline import load_or_analyze

    kw = {"model": "mini-xception", "every_n": 48}
    first = load_or_analyze(face_speech_clip, tmp_path, progress=False, **kw)
    again = load_or_analyze(face_speech_clip, tmp_path, progress=False, **kw)
    assert again.provenance.created_utc == first.provenance.created_utc
    assert again.provenance.voice["seconds"] == first.provenance.voice["seconds"]  # not re-run
    # Another voice window: the faces are reused (same creation time), the voice re-runs.
    wider = load_or_analyze(face_speech_clip, tmp_path, progress=False, voice_window_s=3.0, **kw)
    assert wider.provenance.created_utc == first.provenance.created_utc
    pd.testing.assert_frame_equal(wider.table, first.table)
    assert (wider.voice["end_s"] - wider.voice["start_s"]).round(6).eq(3.0).all()
    assert Analysis.load(tmp_path).provenance.settings.voice.window_s == 3.0
    # Voice off: same faces, no voice table left in the folder.
    off = load_or_analyze(face_speech_clip, tmp_path, progress=False, voice_enabled=False, **kw)
    assert off.voice is None and not (tmp_path / VOICE_FILE).exists()
    assert off.provenance.created_utc == first.provenance.created_utc


def test_cli_analyze_with_and_without_voice(face_speech_clip, tmp_path, capsys):
    from emohelpers.cli.main import main

    base = [
        "analyze",
        str(face_speech_clip),
        "--model",
        "mini-xception",
        "--every-n",
        "48",
        "--quiet",
    ]
    assert (
        main([*base, "--out", str(tmp_path / "on"), "--voice-window-s", "4", "--voice-hop-s", "2"])
        == 0
    )
    line = capsys.readouterr().out
    assert "voice ok" in line and "with speech" in line
    voice = Analysis.load(tmp_path / "on").voice
    assert (voice["end_s"] - voice["start_s"]).round(6).eq(4.0).all() and _speech(voice).any()
    assert main([*base, "--out", str(tmp_path / "off"), "--no-voice"]) == 0
    assert "voice off" in capsys.readouterr().out
    assert not (tmp_path / "off" / VOICE_FILE).exists()
    assert main([*base, "--out", str(tmp_path / "bad"), "--voice-hop-s", "5"]) != 0
    assert "voice_hop_s=5.0 > voice_window_s=2.0: invalid" in capsys.readouterr().err
