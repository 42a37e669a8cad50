"""The transcript: Whisper-base's words and times on the tables' clock, against a clip whose
words and timing are known (espeak-ng speech muxed 3 s into a clip's sound track)."""

import numpy as np
import pytest

from emohelpers.analysis.voice.analyze import analyze_voice
from emohelpers.analysis.voice.audio import read_audio
from emohelpers.analysis.voice.classifiers import load_voice_classifier
from emohelpers.analysis.voice.transcript_table import (
    TRANSCRIPT_DTYPES,
    TRANSCRIPT_FILE,
    load_transcript,
    save_transcript,
)
from emohelpers.core.voice_settings import VoiceSettings
from tests.voice.conftest import espeak, ffmpeg

WORDS = "The quick brown fox jumps over the lazy dog. Then it runs into the forest."
OFFSET_S = 3.0
#: Stated tolerance of the segment times, seconds (Whisper's timestamps step by 20 ms; its
#: segment ends are known to be loose by a few hundred ms).
TOLERANCE_S = 0.5


@pytest.fixture(scope="module")
def known_words(media):
    """(clip, speech seconds): 3 s of silence, the sentence, 2 s of silence."""
    wav = espeak(WORDS, media / "known_words.wav")
    out = media / "known_words.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=320x240:r=24",
        "-i",
        str(wav),
        "-filter_complex",
        "[1:a]adelay=3000|3000,apad=pad_dur=2,aresample=44100[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-shortest",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(out),
    )
    return out, len(read_audio(wav)[0]) / 16000


@pytest.fixture(scope="module")
def whisper():
    return load_voice_classifier("voice-whisper", "cpu")


def _words(text: str) -> list[str]:
    return "".join(c if c.isalpha() else " " for c in text.lower()).split()


def test_transcript_words_and_times(known_words, whisper, detector, tmp_path):
    clip, speech_s = known_words
    result = analyze_voice(clip, classifier=whisper, detector=detector)
    t = result.transcript
    assert list(t.columns) == list(TRANSCRIPT_DTYPES) and len(t) >= 1
    said = _words(" ".join(t["text"]))
    for word in ("quick", "brown", "fox", "lazy", "dog", "forest"):
        assert word in said
    assert abs(t["start_s"].iloc[0] - OFFSET_S) <= TOLERANCE_S
    assert abs(t["end_s"].iloc[-1] - (OFFSET_S + speech_s)) <= TOLERANCE_S
    assert (t["end_s"] > t["start_s"]).all() and (np.diff(t["start_s"]) >= 0).all()
    assert set(t["language"]) == {"en"} and t["confidence"].between(0, 1).all()
    prov = result.provenance["transcript"]
    assert prov["segments"] == len(t) and prov["languages"] == ["en"] and prov["seconds"] > 0
    # saved whole and read back the same
    save_transcript(t, tmp_path)
    assert (tmp_path / TRANSCRIPT_FILE).is_file()
    back = load_transcript(tmp_path)
    assert back is not None and back.equals(t)


def test_transcript_follows_the_time_range(known_words, whisper, detector):
    clip, _ = known_words
    t = analyze_voice(clip, classifier=whisper, detector=detector, start_s=2.0).transcript
    assert abs(t["start_s"].iloc[0] - OFFSET_S) <= TOLERANCE_S  # the clip's clock, not 0


def test_transcript_off_and_without_speech(known_words, whisper, detector, silence_and_noise):
    clip, _ = known_words
    off = analyze_voice(
        clip, VoiceSettings(transcript=False), classifier=whisper, detector=detector
    )
    assert off.transcript is None and "transcript" not in off.provenance
    quiet = analyze_voice(silence_and_noise["silence"], classifier=whisper, detector=detector)
    assert quiet.transcript is not None and quiet.transcript.empty
    assert list(quiet.transcript.columns) == list(TRANSCRIPT_DTYPES)


def test_the_cnn_voice_model_gets_a_transcript_too(known_words, detector):
    clip, _ = known_words
    cnn = load_voice_classifier("voice-cnn", "cpu")
    t = analyze_voice(clip, VoiceSettings(model="voice-cnn"), classifier=cnn, detector=detector)
    assert "fox" in _words(" ".join(t.transcript["text"]))
