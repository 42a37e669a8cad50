"""Label mapping onto the seven expressions, and the one device decision."""

import pytest
import torch

from emohelpers.analysis.classifiers.labels import canonical_label, label_permutation
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.device import resolve_device
from emohelpers.core.errors import ModelLoadError, ParameterError
from emohelpers.core.settings import AnalysisSettings


def test_fer_label_order_maps_onto_emotions():
    fer = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    perm = label_permutation(fer, "fer")
    assert [fer[i] for i in perm] == list(EMOTIONS)


def test_synonyms_and_case():
    labels = ["Anger", "Disgusted", "Fearful", "HAPPINESS", "Neutral", "sadness", "Surprised"]
    assert list(label_permutation(labels, "m")) == list(range(7))
    assert canonical_label("contempt") is None


@pytest.mark.parametrize(
    "labels",
    [
        ["angry", "disgust", "fear", "happy", "neutral", "sad"],  # six
        ["angry", "disgust", "fear", "happy", "neutral", "sad", "contempt"],
        ["angry", "angry", "fear", "happy", "neutral", "sad", "surprise"],  # duplicate
        [f"LABEL_{i}" for i in range(7)],
    ],
)
def test_unmappable_labels_are_refused_with_the_model_name(labels):
    with pytest.raises(ModelLoadError, match="some/model.*cannot be mapped"):
        label_permutation(labels, "some/model")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    assert resolve_device(" CPU ") == torch.device("cpu")
    # One rule for the names, the settings' (core.device.check_device).
    with pytest.raises(ParameterError, match="^device='tpu': invalid; allowed: \"auto\""):
        resolve_device("tpu")
    with pytest.raises(ParameterError, match="^device='cuda:x': invalid"):
        AnalysisSettings(device="cuda:x")
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="no CUDA"):
            resolve_device("cuda")
