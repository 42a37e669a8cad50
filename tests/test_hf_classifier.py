"""The transformers path, end to end, on a tiny ViT created and saved locally."""

import numpy as np
import pytest
import torch

from emohelpers.analysis.classifiers import HFClassifier, load_classifier, resolve_model
from emohelpers.analysis.pipeline import analyze
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import ModelLoadError

# A label order unlike EMOTIONS, with synonyms, to prove the mapping.
TINY_LABELS = ["happiness", "anger", "surprised", "neutral", "fearful", "sadness", "disgust"]


def save_tiny_vit(folder, labels=TINY_LABELS):
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    torch.manual_seed(0)
    config = ViTConfig(
        image_size=32,
        patch_size=8,
        num_channels=3,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lbl: i for i, lbl in enumerate(labels)},
    )
    ViTForImageClassification(config).eval().save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory):
    return save_tiny_vit(tmp_path_factory.mktemp("tiny-vit"))


def _faces(n=5):
    rng = np.random.default_rng(1)
    return [rng.integers(0, 256, (40 + i, 40 + i, 3), dtype=np.uint8) for i in range(n)]


def test_outputs_are_reordered_into_emotions(tiny_vit):
    from transformers import ViTForImageClassification

    clf = HFClassifier(tiny_vit, device=torch.device("cpu"), batch_size=2)
    crops = _faces()
    probs = clf.predict(crops)
    assert probs.shape == (5, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-6)
    raw = ViTForImageClassification.from_pretrained(tiny_vit).eval()
    with torch.inference_mode():
        ref = torch.softmax(raw(pixel_values=clf.preprocess(crops)).logits, 1).numpy()
    for j, emotion in enumerate(EMOTIONS):
        src = [i for i, lbl in enumerate(TINY_LABELS) if emotion[:3] in lbl][0]
        np.testing.assert_allclose(probs[:, j], ref[:, src], atol=1e-6)
    assert clf.predict([]).shape == (0, 7)


def test_batch_invariance(tiny_vit):
    crops = _faces(8)
    one = HFClassifier(tiny_vit, batch_size=1).predict(crops)
    eight = HFClassifier(tiny_vit, batch_size=8).predict(crops)
    np.testing.assert_allclose(one, eight, atol=1e-5)


def test_cam_layer_and_token_grid(tiny_vit):
    clf = HFClassifier(tiny_vit)
    assert clf.cam_layer is not None
    grid = clf.cam_reshape(torch.zeros(2, 1 + 16, 32))
    assert grid.shape == (2, 32, 4, 4)


@pytest.mark.slow
def test_analyze_end_to_end_with_a_local_folder(tiny_vit):
    table, prov = analyze(
        sample_clip("single_face.mp4"), model=str(tiny_vit), every_n=12, progress=False
    )
    assert prov.classifier["name"] == str(tiny_vit.resolve())
    assert prov.classifier["labels"] == TINY_LABELS
    faces = table.dropna(subset=["face"])
    assert len(faces) == 6
    np.testing.assert_allclose(faces[list(EMOTIONS)].sum(axis=1), 1, atol=1e-9)


def test_unmappable_labels_are_refused(tmp_path):
    folder = save_tiny_vit(tmp_path / "m", labels=[f"LABEL_{i}" for i in range(7)])
    with pytest.raises(ModelLoadError, match="cannot be mapped"):
        HFClassifier(folder)


def test_unreachable_hub_model_says_how_to_work_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="mini-xception"):
        load_classifier("nobody/no-such-expression-model", "cpu")


def test_auto_is_the_own_model_and_a_folder_is_itself(tmp_path):
    # `auto` against the real Hugging Face cache: tests/classifiers/test_auto_model.py.
    assert resolve_model("auto") == "emo-vgg"
    assert resolve_model(tmp_path) == str(tmp_path.resolve())
