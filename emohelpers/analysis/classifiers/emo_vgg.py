"""The project's own face-expression model, `emo-vgg`: the offline default.

A VGG-style network (`face_net.EmoVGG`) trained by `tools/train_face_model.py` on FER2013
(research-only terms; docs/face_model.md is its model card). The weights ship inside the
package (`face_model.pth`, float16, about 5 MB) and are checked against `WEIGHTS_SHA256`
when loaded. The file's metadata holds the recipe, the label order and the temperature.

Probabilities are calibrated: the logits (the mean of the crop's and its mirror image's, the
test-time augmentation the figures were measured with) are divided by the temperature
fitted on held-out training images before the softmax. `model` (for explanations) is the
network with the temperature and without the mirror average, so that attributions explain
one forward pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from emohelpers.analysis.classifiers.base import Classifier, Crop
from emohelpers.analysis.classifiers.face_net import EmoVGG, gray_to_input, to_gray48
from emohelpers.analysis.classifiers.labels import label_permutation
from emohelpers.core import assets
from emohelpers.core.device import fast_bf16
from emohelpers.core.errors import ModelLoadError

log = logging.getLogger(__name__)

NAME = "emo-vgg"
WEIGHTS_FILE = Path(__file__).with_name("face_model.pth")
#: The committed weights' checksum; `tools/train_face_model.py` prints it for a new model.
WEIGHTS_SHA256 = "5799d6871fd6c29f830795fa71839f055ba089d4da159cb10174e84aeacfd73c"
_CPU = torch.device("cpu")


class _Calibrated(nn.Module):
    """EmoVGG logits divided by the temperature (one forward pass, no mirror average)."""

    def __init__(self, net: EmoVGG, temperature: float) -> None:
        super().__init__()
        self.net = net
        self.temperature = float(temperature)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) / self.temperature


def load_weights(path: Path, expected_sha256: str | None) -> tuple[EmoVGG, dict[str, Any]]:
    """The network and its metadata from a `face_model.pth` file, checksum checked.

    Raises:
        ModelLoadError: for a missing file, a checksum mismatch or unexpected contents.
    """
    if not path.is_file():
        raise ModelLoadError(
            f"{path}: the emo-vgg weights are missing; reinstall emohelpers (they ship with "
            "the package) or use --model mini-xception"
        )
    sha = assets.sha256_file(path)
    if expected_sha256 and sha != expected_sha256:
        raise ModelLoadError(
            f"{path}: sha256 {sha[:12]}... is not the pinned {expected_sha256[:12]}... (a "
            "changed or damaged file); reinstall emohelpers or retrain with "
            "tools/train_face_model.py and pin the new checksum"
        )
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta = dict(blob["meta"])
        net = EmoVGG(width=int(meta["width"]), dropout=0.0)
        net.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    except (KeyError, RuntimeError, ValueError, OSError) as exc:
        raise ModelLoadError(f"{path}: not an emo-vgg weights file ({exc})") from exc
    # The training labels are the folder names; map them like every model's labels.
    perm = label_permutation(tuple(meta["labels"]), source=f"{NAME} ({path.name})")
    if list(perm) != list(range(len(perm))):
        raise ModelLoadError(f"{path}: labels {meta['labels']} are not in EMOTIONS order")
    return net.eval(), meta


class EmoVGGClassifier(Classifier):
    """The project's own FER2013 model: 48x48 normalised gray input, calibrated output.

    Args:
        weights_path: a `face_model.pth`; default the packaged one (checksum pinned).
        device: where the model runs.
        batch_size: crops per forward pass.

    Raises:
        ModelLoadError: for missing, changed or unreadable weights.
    """

    name = NAME

    def __init__(
        self,
        weights_path: str | Path | None = None,
        device: torch.device = _CPU,
        batch_size: int = 64,
    ) -> None:
        super().__init__(device=device, batch_size=batch_size)
        path = Path(weights_path) if weights_path is not None else WEIGHTS_FILE
        pinned = WEIGHTS_SHA256 if weights_path is None else None
        net, self.meta = load_weights(path, pinned)
        self.weights_path = path
        self.temperature = float(self.meta["temperature"])
        self.tta_flip = bool(self.meta.get("tta_flip", True))
        self._model = _Calibrated(net, self.temperature).to(device)
        self._model = self._model.to(memory_format=torch.channels_last).eval()
        self.revision = assets.sha256_file(path)[:12]
        # As trained and calibrated (the temperature was fitted on bf16 logits), and twice
        # as fast as float32 on CPUs with native bf16; float32 elsewhere.
        self.bf16 = fast_bf16(self.device)

    def preprocess(self, crops: Sequence[Crop]) -> torch.Tensor:
        """Crops -> (N, 1, 48, 48) float32: gray, resized, per-image normalised."""
        return gray_to_input(to_gray48(list(crops)))

    @property
    def model(self) -> nn.Module:
        return self._model

    @property
    def cam_layer(self) -> nn.Module:
        """The last convolution block's ReLU (3x3 map)."""
        return self._model.net.last_conv

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "weights": WEIGHTS_FILE.name
            if self.weights_path == WEIGHTS_FILE
            else str(self.weights_path),
            "temperature": round(self.temperature, 4),
            "tta": "mirror" if self.tta_flip else None,
            "precision": "bf16" if self.bf16 else "float32",
        }

    def _forward(self, batch: torch.Tensor) -> np.ndarray:
        with (
            torch.inference_mode(),
            torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16),
        ):
            x = batch.to(self.device).contiguous(memory_format=torch.channels_last)
            net = self._model.net
            logits = net(x).float()
            if self.tta_flip:
                logits = (logits + net(torch.flip(x, dims=[3])).float()) / 2
            return torch.softmax(logits / self.temperature, dim=1).cpu().numpy()
