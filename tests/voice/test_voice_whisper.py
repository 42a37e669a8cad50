"""The default voice model: Whisper-base's encoder from its wheels (every file checked), one
encoder pass per stretch of speech, and the committed head (checksum enforced)."""

import hashlib
import shutil

import numpy as np
import pytest

from emohelpers.analysis.voice.analyze import analyze_voice
from emohelpers.analysis.voice.audio import read_audio
from emohelpers.analysis.voice.classifiers import load_voice_classifier
from emohelpers.analysis.voice.classifiers.voice_whisper import HEAD, HEAD_SHA256, load_head
from emohelpers.analysis.voice.whisper import WhisperEncoder, pool, stretch_groups
from emohelpers.analysis.voice.windows import window_bounds
from emohelpers.core.assets import sha256_file
from emohelpers.core.assets_whisper import (
    WHISPER_FILES,
    _copy_checked,
    check_whisper,
    whisper_model,
)
from emohelpers.core.errors import AssetError, ModelLoadError
from emohelpers.core.voice_settings import VoiceSettings

#: Stated tolerance of stretch pooling against per-window encoding, on espeak-ng speech: the
#: pooled features' cosine similarity (measured 0.95-0.99 per window) and the mean absolute
#: difference of the window probabilities (measured 0.10; single windows of this synthetic
#: speech differ by up to 0.9, the head being sharp: see docs/voice_model.md).
MIN_COSINE = 0.93
MEAN_PROB_DIFF = 0.15


@pytest.fixture(scope="module")
def clf():
    return load_voice_classifier("voice-whisper", "cpu")


def test_fetched_whisper_files_match_their_pins():
    folder = whisper_model()
    assert sorted(p.name for p in folder.iterdir()) == sorted(WHISPER_FILES)
    for name, digest in WHISPER_FILES.items():
        assert sha256_file(folder / name) == digest


def test_a_changed_or_missing_file_is_refused(tmp_path):
    folder = whisper_model()
    for name in WHISPER_FILES:
        (tmp_path / name).symlink_to(folder / name)
    (tmp_path / "config.json").unlink()
    with pytest.raises(AssetError, match=r"lacks \['config.json'\].*fetch-assets"):
        check_whisper(tmp_path)
    text = (folder / "config.json").read_text()
    (tmp_path / "config.json").write_text(text.replace('"suppress_ids"', ' "suppress_ids"'))
    with pytest.raises(AssetError, match=r"config.json: sha256 \w+ differs from the pinned"):
        check_whisper(tmp_path)
    with pytest.raises(ModelLoadError, match="Whisper-base unavailable"):
        WhisperEncoder(tmp_path)


def test_assembling_parts_with_another_checksum_leaves_no_file(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"first part")
    b.write_bytes(b"second part")
    with pytest.raises(AssetError, match="assembled file differs from the pinned"):
        _copy_checked([a, b], tmp_path / "model.bin", "0" * 64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
    good = hashlib.sha256(b"first partsecond part").hexdigest()
    _copy_checked([a, b], tmp_path / "model.bin", good)
    assert (tmp_path / "model.bin").read_bytes() == b"first partsecond part"


def test_committed_head_matches_its_pin_and_another_is_refused(tmp_path):
    assert sha256_file(HEAD) == HEAD_SHA256
    head = load_head()
    assert head.weight.shape == (1024, 7) and head.position_mean.shape == (500, 512)
    other = tmp_path / "head.npz"
    shutil.copy(HEAD, other)
    with open(other, "ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelLoadError, match="differs from the pinned"):
        load_head(other)


@pytest.mark.parametrize(
    "bounds, max_n, groups",
    [
        ([[0, 10], [5, 15], [10, 20]], 100, [[0, 1, 2]]),
        ([[0, 10], [5, 15], [30, 40]], 100, [[0, 1], [2]]),
        ([[0, 10], [10, 20]], 100, [[0, 1]]),  # touching windows share a stretch
        ([[0, 10], [5, 15], [10, 20]], 15, [[0, 1], [2]]),
        ([[0, 50]], 10, [[0]]),  # a window longer than a stretch is a stretch of its own
    ],
)
def test_stretch_groups(bounds, max_n, groups):
    got = stretch_groups(np.array(bounds), max_n)
    assert [g.tolist() for g in got] == groups


def test_pooling_a_stretch_matches_encoding_each_window_alone(speech_wav, clf):
    """The voice channel's stretch pooling against per-window encoding, on ~7 s of espeak-ng
    speech in 2 s windows (1 s hop); without the per-position centring the late windows
    drift far from their per-window features."""
    x, _ = read_audio(speech_wav)
    bounds = window_bounds(len(x), 32000, 16000)
    enc, pm = clf.encoder, clf.head.position_mean
    stretch = enc.window_features(x, bounds, pm)
    alone = np.concatenate(
        [enc.window_features(x[s:e], np.array([[0, e - s]]), pm) for s, e in bounds]
    )

    def cosine(a, b):
        return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)

    assert cosine(stretch, alone).min() >= MIN_COSINE
    states = enc.encode(x)
    raw = cosine(
        pool(states, bounds),
        np.concatenate([pool(enc.encode(x[s:e]), [[0, e - s]]) for s, e in bounds]),
    )
    assert raw.min() < 0.9  # the centring is what makes them agree
    p_stretch = clf.predict_stretch(x, bounds)
    p_alone = clf.predict([x[s:e] for s, e in bounds])
    diff = np.abs(p_stretch - p_alone)
    assert diff.mean() <= MEAN_PROB_DIFF
    np.testing.assert_allclose(p_stretch.sum(1), 1.0, atol=1e-5)


def test_the_channel_encodes_once_per_stretch(speech_clip, clf, detector, monkeypatch):
    calls = []
    encode_mel = clf.encoder.encode_mel
    monkeypatch.setattr(
        clf.encoder, "encode_mel", lambda mel: calls.append(mel.shape) or encode_mel(mel)
    )
    settings = VoiceSettings(transcript=False)  # the transcriber's own passes are not counted
    table, prov = analyze_voice(speech_clip, settings, classifier=clf, detector=detector)
    n_speech = prov["n_speech_windows"]
    assert n_speech >= 6 and prov["classifier"]["name"] == "voice-whisper"
    # ~7.4 s of speech: one stretch of touching speech windows, at most 10 s per pass
    assert 1 <= len(calls) <= 2 < n_speech
    assert sum(s[1] for s in calls) <= 100 * (n_speech + 2)  # each second encoded once
    probs = table.dropna(subset=["happy"])
    assert len(probs) == n_speech and np.allclose(probs.iloc[:, 3:10].sum(axis=1), 1.0)
