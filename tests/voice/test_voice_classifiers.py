"""Voice classifiers: the committed offline CNN (checksum enforced) and any transformers audio
classifier, here a tiny wav2vec2 created and saved locally."""

import shutil

import numpy as np
import pytest
import torch

from emohelpers.analysis.table import EMOTIONS
from emohelpers.analysis.voice.audio import read_audio
from emohelpers.analysis.voice.classifiers import load_voice_classifier
from emohelpers.analysis.voice.classifiers.voice_cnn import WEIGHTS, WEIGHTS_SHA256, load_weights
from emohelpers.core.errors import ModelLoadError

# A label order unlike EMOTIONS, with synonyms (calm read as neutral), to prove the mapping.
TINY_LABELS = ["happiness", "anger", "surprised", "calm", "fearful", "sadness", "disgust"]


def save_tiny_wav2vec2(folder, labels=TINY_LABELS):
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForSequenceClassification,
    )

    torch.manual_seed(0)
    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        conv_dim=(16, 16),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        classifier_proj_size=16,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lbl: i for i, lbl in enumerate(labels)},
    )
    Wav2Vec2ForSequenceClassification(config).eval().save_pretrained(folder)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, return_attention_mask=True).save_pretrained(
        folder
    )
    return folder


@pytest.fixture(scope="module")
def tiny_w2v(tmp_path_factory):
    return save_tiny_wav2vec2(tmp_path_factory.mktemp("tiny-wav2vec2"))


@pytest.fixture(scope="module")
def windows(speech_wav):
    x, _ = read_audio(speech_wav)
    return [x[i * 16000 : i * 16000 + 32000] for i in range(6)] + [x[:9000]]


def test_committed_weights_match_their_pinned_sha256():
    from emohelpers.core.assets import sha256_file

    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 2_000_000
    assert sha256_file(WEIGHTS) == WEIGHTS_SHA256


def test_a_different_weights_file_is_refused(tmp_path):
    other = tmp_path / "voice_cnn.pth"
    shutil.copy(WEIGHTS, other)
    with open(other, "ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelLoadError, match="differs from the pinned"):
        load_weights(other)
    with pytest.raises(ModelLoadError, match="missing"):
        load_weights(tmp_path / "absent.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    with pytest.raises(ModelLoadError, match="not a voice-cnn state dict"):
        load_weights(junk, sha256=None)


def test_voice_cnn_outputs_probabilities_independent_of_the_batch(windows):
    one = load_voice_classifier("voice-cnn", "cpu", batch_size=1).predict(windows)
    many = load_voice_classifier("voice-cnn", "cpu", batch_size=8).predict(windows)
    assert one.shape == (len(windows), 7) and one.dtype == np.float32
    np.testing.assert_allclose(one.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(one, many, atol=1e-5)
    assert load_voice_classifier("voice-cnn", "cpu").predict([]).shape == (0, 7)


def test_transformers_model_outputs_are_reordered_into_emotions(tiny_w2v, windows):
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    clf = load_voice_classifier(str(tiny_w2v), "cpu", batch_size=4)
    probs = clf.predict(windows[:3])
    assert probs.shape == (3, 7)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    raw = Wav2Vec2ForSequenceClassification.from_pretrained(tiny_w2v).eval()
    fe = Wav2Vec2FeatureExtractor.from_pretrained(tiny_w2v)
    inputs = fe(windows[:3], sampling_rate=16000, return_tensors="pt", padding=True)
    with torch.inference_mode():
        ref = torch.softmax(raw(**inputs).logits, 1).numpy()
    for j, emotion in enumerate(EMOTIONS):
        src = {"neutral": "calm"}.get(emotion, emotion[:3])
        k = [i for i, lbl in enumerate(TINY_LABELS) if src in lbl][0]
        np.testing.assert_allclose(probs[:, j], ref[:, k], atol=1e-5)
    assert clf.info()["labels"] == TINY_LABELS


def test_unmappable_labels_are_refused(tmp_path):
    folder = save_tiny_wav2vec2(tmp_path / "m", labels=[f"class{i}" for i in range(7)])
    with pytest.raises(ModelLoadError, match="cannot be mapped"):
        load_voice_classifier(str(folder), "cpu")
    folder = save_tiny_wav2vec2(tmp_path / "m8", labels=[*TINY_LABELS, "contempt"])
    with pytest.raises(ModelLoadError, match="cannot be mapped"):
        load_voice_classifier(str(folder), "cpu")


def test_a_missing_model_names_the_offline_fix(tmp_path):
    with pytest.raises(ModelLoadError, match="voice-cnn"):
        load_voice_classifier(str(tmp_path), "cpu")  # an empty folder
