"""analyze_voice end to end on real sound: speech, the sample clip's silent track, no track,
silence and noise; and evaluate_voice on a labelled folder."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.analyze import analyze_voice
from emohelpers.analysis.voice.audio import probe_audio
from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.analysis.voice.table import VOICE_COLUMNS, validate_voice_table
from emohelpers.core.errors import AudioReadError, ParameterError
from emohelpers.core.voice_settings import VoiceSettings


@pytest.fixture(scope="module")
def classifier():
    from emohelpers.analysis.voice.classifiers import load_voice_classifier

    return load_voice_classifier("voice-cnn", "cpu")


def _speech_rows(table):
    return table[list(EMOTIONS)].notna().all(axis=1).to_numpy()


def test_speech_clip(speech_clip, classifier, detector):
    table, prov = analyze_voice(speech_clip, classifier=classifier, detector=detector)
    validate_voice_table(table)
    assert tuple(table.columns) == VOICE_COLUMNS
    info = probe_audio(speech_clip)
    # Windows: 2 s long, every 1 s, the last one ending with the sound.
    assert (table["end_s"] - table["start_s"]).round(6).eq(2.0).all()
    np.testing.assert_allclose(np.diff(table["start_s"])[:-1], 1.0)
    assert table["start_s"].iloc[0] == pytest.approx(0.0, abs=1e-3)
    assert table["end_s"].iloc[-1] == pytest.approx(info.duration_s, abs=0.05)
    speech = _speech_rows(table)
    # The speech starts after 1 s of silence and stops 2 s before the end.
    assert not speech[0] and not speech[-1] and speech[2:-3].all()
    assert table.loc[speech, "speech_prob"].min() >= 0.5
    assert table.loc[~speech, "emotion"].isna().all()
    assert prov["status"] == "ok" and prov["n_speech_windows"] == speech.sum()
    assert prov["classifier"]["name"] == "voice-cnn" and prov["vad"].startswith("silero")
    assert prov["settings"] == VoiceSettings().as_dict()
    json.dumps(prov, default=str)


def test_time_range_and_settings(speech_clip, classifier, detector):
    s = VoiceSettings(window_s=1.0, hop_s=0.5)
    table, prov = analyze_voice(
        speech_clip, s, start_s=2.0, end_s=5.0, classifier=classifier, detector=detector
    )
    assert table["start_s"].tolist() == pytest.approx([2.0, 2.5, 3.0, 3.5, 4.0], abs=1e-3)
    assert table["end_s"].iloc[-1] == pytest.approx(5.0, abs=1e-3)
    assert prov["audio_s"] == pytest.approx(3.0, abs=1e-3)
    assert _speech_rows(table).all()


def test_sample_clip_with_a_silent_sound_track(sample_dir, classifier, detector):
    clip = sample_dir / "WolfgangLanger_Pexels.mp4"
    table, prov = analyze_voice(clip, classifier=classifier, detector=detector)
    assert prov["status"] == "ok" and prov["n_speech_windows"] == 0
    assert len(table) == 19 and table["end_s"].iloc[-1] == pytest.approx(19.69, abs=0.02)
    assert table[list(EMOTIONS)].isna().all().all() and table["emotion"].isna().all()
    assert (table["speech_prob"] < 0.1).all()


def test_clip_without_a_sound_track(silent_video, classifier, detector):
    table, prov = analyze_voice(silent_video, classifier=classifier, detector=detector)
    assert table.empty and tuple(table.columns) == VOICE_COLUMNS
    assert prov["status"] == "no audio" and "no sound track" in prov["message"]
    assert prov["status"] is VoiceStatus.NO_AUDIO
    assert json.loads(json.dumps(prov))["status"] == "no audio"  # the JSON keeps the value


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_and_noise_give_nan_rows_never_neutral(
    silence_and_noise, kind, classifier, detector
):
    table, prov = analyze_voice(silence_and_noise[kind], classifier=classifier, detector=detector)
    assert len(table) == 3  # 4 s: [0, 2), [1, 3), [2, 4)
    assert table[list(EMOTIONS)].isna().all().all() and table["emotion"].isna().all()
    assert prov["n_speech_windows"] == 0


def test_bad_inputs(tmp_path):
    with pytest.raises(AudioReadError, match="no such file"):
        analyze_voice(tmp_path / "missing.mp4")
    with pytest.raises(ParameterError, match="hop_s"):
        VoiceSettings(window_s=1.0, hop_s=2.0)


def test_evaluate_voice_on_a_labelled_folder(
    tmp_path, speech_wav, silence_and_noise, classifier, detector
):
    from emohelpers.summaries.evaluate_voice import evaluate_voice

    for label in ("calm", "happy"):
        (tmp_path / label).mkdir()
        shutil.copy(speech_wav, tmp_path / label / "a.wav")
    shutil.copy(silence_and_noise["silence"], tmp_path / "happy" / "b.wav")
    result = evaluate_voice(tmp_path, classifier, detector, progress=False)
    assert result["n"] == 3 and result["n_no_speech"] == 1
    assert result["no_speech"] == ["happy/b.wav"]
    m = pd.DataFrame(
        result["confusion"]["matrix"],
        index=result["confusion"]["rows"],
        columns=result["confusion"]["columns"],
    )
    assert m.loc["happy", "no prediction"] == 1 and m.loc["neutral"].sum() == 1
    assert set(result["recall"]) == {"neutral", "happy"}
    # The same speech gets the same prediction in both folders: at most one can be right.
    assert result["accuracy"] <= 1 / 3 + 1e-9
    json.dumps(result)


def _cli(argv):
    """The voice sub-commands on their own parser (as `emohelpers` registers them)."""
    import argparse

    from emohelpers.cli import voice_cmd

    parser = argparse.ArgumentParser()
    voice_cmd.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.quiet = True
    return args.func(args)


def test_cli_analyze_voice_and_evaluate_voice(tmp_path, speech_clip, speech_wav, capsys):
    assert _cli(["analyze-voice", str(speech_clip), "--out", str(tmp_path / "a")]) == 0
    from emohelpers.analysis.voice.table import load_voice_table

    table = load_voice_table(tmp_path / "a")
    prov = json.loads((tmp_path / "a" / "voice_provenance.json").read_text())
    assert len(table) == prov["n_windows"] and prov["status"] == "ok"
    assert "voice ok" in capsys.readouterr().out
    assert (tmp_path / "a" / "transcript.parquet").is_file()  # the transcript is on by default
    (tmp_path / "d" / "sad").mkdir(parents=True)
    shutil.copy(speech_wav, tmp_path / "d" / "sad" / "x.wav")
    argv = ["evaluate-voice", str(tmp_path / "d"), "--out", str(tmp_path / "e"), "--device", "cpu"]
    assert _cli(argv) == 0
    result = json.loads(capsys.readouterr().out)
    # the default voice model is voice-whisper since issue 20 (was voice-cnn)
    assert result["n"] == 1 and result["classifier"] == "voice-whisper"
    assert set(result["recall"]) == {"sad"} and result["confusion"]["rows"][5] == "sad"
    assert json.loads((tmp_path / "e" / "metrics.json").read_text()) == result
    assert (tmp_path / "e" / "confusion.csv").is_file()


def test_voice_status_values_are_the_json_values():
    assert [s.value for s in VoiceStatus] == ["ok", "no audio", "broken audio", "off"]
    assert VoiceStatus("broken audio") is VoiceStatus.BROKEN_AUDIO
    assert VoiceStatus.OFF == "off" and f"{VoiceStatus.NO_AUDIO}" == "no audio"
