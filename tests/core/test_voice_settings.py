"""The voice part of AnalysisSettings: flat names, rules, its own cache key, provenance."""

from __future__ import annotations

import json

import pytest

from emohelpers.analysis.provenance import Provenance
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.voice_settings import VoiceSettings

VOICE_NAMES = (
    "voice_enabled",
    "voice_model",
    "voice_window_s",
    "voice_hop_s",
    "voice_min_speech_prob",
    "voice_transcript",
    "voice_batch_size",
)


def test_voice_is_a_part_with_prefixed_flat_names():
    s = AnalysisSettings()
    # the default voice model is voice-whisper since issue 20 (was voice-cnn)
    assert s.voice == VoiceSettings() and s.voice.enabled and s.voice.model == "voice-whisper"
    names = AnalysisSettings.flat_names()
    assert set(VOICE_NAMES) <= set(names) and len(names) == len(set(names))
    s = AnalysisSettings.from_flat(
        voice_enabled=False,
        voice_model="/models/ser",
        voice_window_s=3,
        voice_hop_s=1.5,
        model="mini-xception",
    )
    assert s.voice == VoiceSettings(enabled=False, model="/models/ser", window_s=3.0, hop_s=1.5)
    assert s.model == "mini-xception"  # the face model and the voice model stay apart
    flat = json.loads(json.dumps(s.to_flat()))
    assert flat["voice_enabled"] is False and flat["voice_window_s"] == 3.0
    assert AnalysisSettings.from_flat(**flat) == s
    assert AnalysisSettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    # None keeps the base's value (an option not given on the command line).
    assert AnalysisSettings.from_flat(s, voice_model=None).voice.model == "/models/ser"


@pytest.mark.parametrize(
    ("flat", "error"),
    [
        ({"voice_enabled": "no"}, "^voice_enabled='no': invalid; allowed: True or False$"),
        ({"voice_model": " "}, "^voice_model=' ': invalid"),
        (
            {"voice_window_s": 0.1},
            r"^voice_window_s=0.1: invalid; allowed: seconds in \[0.2, 60\]$",
        ),
        ({"voice_window_s": True}, "^voice_window_s=True: invalid"),
        ({"voice_hop_s": 3.0}, "^voice_hop_s=3.0 > voice_window_s=2.0: invalid"),
        ({"voice_min_speech_prob": 1.5}, "^voice_min_speech_prob=1.5: invalid"),
        ({"voice_batch_size": 0}, "^voice_batch_size=0: invalid"),
        ({"window_s": 2.0}, "unknown setting"),  # only by its prefixed name
        ({"voice": False}, "a VoiceSettings or a dict"),
    ],
)
def test_voice_rules(flat, error):
    with pytest.raises(ParameterError, match=error):
        AnalysisSettings.from_flat(**flat)


def test_voice_settings_leave_the_face_cache_key_alone():
    a = AnalysisSettings.from_flat(every_n=4)
    b = AnalysisSettings.from_flat(
        every_n=4, voice_model="x", voice_window_s=4, voice_hop_s=2, voice_enabled=False
    )
    assert a.cache_key("abc", "mini-xception") == b.cache_key("abc", "mini-xception")
    assert a.voice_cache_key("abc") != b.voice_cache_key("abc")
    # The voice key: sound, time range, what shapes the values; not on/off nor batch size.
    c = AnalysisSettings.from_flat(every_n=8, voice_batch_size=4, voice_enabled=False)
    assert c.voice_cache_key("abc") == a.voice_cache_key("abc")
    assert a.voice_cache_key("abc") == {
        "video_sha256": "abc",
        "start_s": None,
        "end_s": None,
        "model": "voice-whisper",
        "window_s": 2.0,
        "hop_s": 1.0,
        "min_speech_prob": 0.5,
        "transcript": True,
    }
    assert AnalysisSettings.from_flat(end_s=5).voice_cache_key("abc") != a.voice_cache_key("abc")


def test_provenance_keeps_the_voice_settings_in_its_voice_block():
    s = AnalysisSettings.from_flat(model="mini-xception", voice_window_s=3.0, voice_hop_s=1.0)
    block = {"status": "ok", "settings": s.voice.as_dict(), "key": s.voice_cache_key("abc")}
    p = Provenance(
        settings=s,
        video={"sha256": "abc"},
        classifier={"name": "mini-xception"},
        extra={"voice": block},
    )
    d = json.loads(json.dumps(p.to_dict()))
    assert d["settings"] == s.cache_key("abc", "mini-xception")  # the face key, unchanged
    back = Provenance.from_dict(d)
    assert back.settings.voice == s.voice and back.voice == block
    assert Provenance.from_dict({}).voice == {}
