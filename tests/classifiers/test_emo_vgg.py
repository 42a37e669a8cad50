"""The project's own face model (`emo-vgg`) as it ships: its weights' checksum, its label
order, batch invariance, calibrated probabilities, and that `auto` loads it offline."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from emohelpers.analysis.classifiers import load_classifier
from emohelpers.analysis.classifiers.emo_vgg import (
    WEIGHTS_FILE,
    WEIGHTS_SHA256,
    EmoVGGClassifier,
    load_weights,
)
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core import assets
from emohelpers.core.errors import ModelLoadError


@pytest.fixture(scope="module")
def classifier() -> EmoVGGClassifier:
    return EmoVGGClassifier(batch_size=64)


@pytest.fixture(scope="module")
def sample_faces(sample_dir):
    """Face crops of two sample clips, found by the real detector (every 24th frame)."""
    from emohelpers.analysis.detect import FaceDetector, crop_faces
    from emohelpers.analysis.frames import read_frames

    crops = []
    detector = FaceDetector()
    for clip in ("single_face.mp4", "WolfgangLanger_Pexels.mp4"):
        frames = read_frames(sample_dir / clip, list(range(0, 120, 24)))
        for rgb in frames.values():
            det = detector.detect([rgb])[0]
            crops += crop_faces(rgb, det.xyxy, 0.1)
    assert len(crops) >= 8
    return crops


def test_the_shipped_weights_are_the_pinned_ones():
    assert len(WEIGHTS_SHA256) == 64, "pin the sha256 the training script printed"
    assert assets.sha256_file(WEIGHTS_FILE) == WEIGHTS_SHA256
    assert WEIGHTS_FILE.stat().st_size <= 10 * 2**20


def test_a_changed_weights_file_is_refused(tmp_path):
    copy = tmp_path / "face_model.pth"
    shutil.copy(WEIGHTS_FILE, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the tensors
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="sha256"):
        load_weights(copy, WEIGHTS_SHA256)
    with pytest.raises(ModelLoadError, match="missing"):
        load_weights(tmp_path / "gone.pth", WEIGHTS_SHA256)


def test_labels_and_recipe_travel_with_the_weights(classifier):
    meta = classifier.meta
    assert tuple(meta["labels"]) == EMOTIONS
    assert 0.3 < float(meta["temperature"]) < 3.0
    recipe = meta["recipe"]
    for key in ("seed", "epochs", "width", "lr", "label_smoothing", "mix_prob", "ema_decay"):
        assert key in recipe, key
    assert classifier.info()["name"] == "emo-vgg"
    assert classifier.info()["temperature"] == round(float(meta["temperature"]), 4)


def test_auto_loads_it_offline():
    model = load_classifier("auto", device="cpu")
    assert isinstance(model, EmoVGGClassifier) and model.weights_path == WEIGHTS_FILE


@pytest.mark.slow
def test_batch_invariance_and_calibrated_rows(classifier, sample_faces):
    """Batch 1 and batch 8 give the same probabilities; rows are distributions."""
    one = np.vstack([classifier.predict([c]) for c in sample_faces])
    eight = EmoVGGClassifier(batch_size=8).predict(sample_faces)
    np.testing.assert_allclose(one, eight, atol=1e-5)
    assert one.shape == (len(sample_faces), len(EMOTIONS))
    np.testing.assert_allclose(one.sum(axis=1), 1.0, atol=1e-5)
    assert (one >= 0).all()


@pytest.mark.slow
def test_outputs_are_the_mirror_averaged_calibrated_softmax(classifier, sample_faces):
    """`predict` = softmax(mean(logits(x), logits(mirror x)) / T) (in bf16 where the CPU has
    it, as trained; its info says which), and `model` (what the explanations attribute) is
    one float32 pass of logits / T."""
    x = classifier.preprocess(sample_faces[:4])
    net, t = classifier.model.net, classifier.temperature
    assert classifier.info()["precision"] == ("bf16" if classifier.bf16 else "float32")
    with torch.inference_mode():
        one_pass = classifier.model(x).numpy()
        np.testing.assert_allclose(one_pass, (net(x) / t).numpy(), atol=1e-5)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=classifier.bf16):
            z = (net(x).float() + net(torch.flip(x, dims=[3])).float()) / 2
        expected = torch.softmax(z / t, dim=1).numpy()
    np.testing.assert_allclose(classifier.predict(sample_faces[:4]), expected, atol=1e-5)
