"""Speech, singing and noise told apart in windows where the VAD fires, and marked in the
voice table (never classified as speech emotion): espeak-ng speech, espeak-ng "la" syllables
held at set pitches (the VAD fires on them), a synthetic sung tone sequence, white noise."""

import shutil
import subprocess

import numpy as np
import pytest

from emohelpers.analysis.voice.analyze import analyze_signal
from emohelpers.analysis.voice.audio import read_audio
from emohelpers.analysis.voice.classifiers import load_voice_classifier
from emohelpers.analysis.voice.sound_kind import sound_kind
from emohelpers.analysis.voice.table import validate_voice_table
from emohelpers.analysis.voice.windows import window_bounds
from emohelpers.core.voice_settings import VoiceSettings

SONG = "".join(
    f'<prosody pitch="{p}">laaa</prosody> ' for p in (20, 40, 60, 40, 70, 50, 30, 60, 40, 20)
)


def sung_tones(seconds: float = 7.2) -> np.ndarray:
    """Notes of 0.6 s: harmonics shaped by /a/ formants, 5.5 Hz vibrato of 1%."""
    sr, out = 16000, []
    for n in (60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72)[: int(seconds / 0.6)]:
        f0, t = 440 * 2 ** ((n - 69) / 12), np.arange(int(0.6 * sr)) / sr
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))) / sr
        x = np.zeros_like(t)
        for h in range(1, int(7000 / f0)):
            fh = h * f0
            amp = np.exp(-(((fh - 800) / 300) ** 2)) + 0.6 * np.exp(-(((fh - 1200) / 300) ** 2))
            x += (amp + 0.05 / h) * np.sin(h * phase)
        out.append(x * np.minimum(1, np.minimum(t / 0.05, (0.6 - t) / 0.05)))
    y = np.concatenate(out)
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def song(media):
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed; no syllables to sing")
    path = media / "song.wav"
    ssml = f'<speak><prosody rate="x-slow">{SONG}</prosody></speak>'
    subprocess.run([exe, "-m", "-w", str(path), ssml], check=True, capture_output=True)
    return read_audio(path)[0]


def _kinds(x: np.ndarray) -> list[str]:
    return [sound_kind(x[s:e]) for s, e in window_bounds(len(x), 32000, 16000)]


def test_speech_windows_are_speech(speech_wav):
    kinds = _kinds(read_audio(speech_wav)[0])
    assert len(kinds) >= 6 and set(kinds) == {"speech"}


def test_held_syllables_and_tones_are_singing(song):
    kinds = _kinds(song)
    assert kinds.count("singing") >= 0.6 * len(kinds)  # measured: 5 of 6 windows here
    assert set(_kinds(sung_tones())) == {"singing"}


def test_noise_is_noise():
    rng = np.random.default_rng(0)
    assert set(_kinds(rng.normal(0, 0.1, 64000).astype(np.float32))) == {"noise"}


def test_the_voice_table_marks_singing_and_does_not_classify_it(song, speech_wav, detector):
    clf = load_voice_classifier("voice-cnn", "cpu")
    settings = VoiceSettings(model="voice-cnn", transcript=False)
    sung = analyze_signal(song, settings, clf, detector)
    fired = sung[sung["speech_prob"] >= settings.min_speech_prob]
    assert len(fired) >= 3  # the VAD fires on the syllables
    marked = fired[fired["sound"] == "singing"]
    assert len(marked) >= 0.6 * len(fired) and marked["emotion"].isna().all()
    assert marked[["angry", "happy", "sad"]].isna().all().all()
    validate_voice_table(sung)
    spoken = analyze_signal(read_audio(speech_wav)[0], settings, clf, detector)
    assert set(spoken["sound"].dropna()) == {"speech"} and spoken["emotion"].notna().sum() >= 5
    assert spoken["sound"].isna().equals(spoken["emotion"].isna())
