"""The classifier interface: face crops in, an (N, 7) probability array out.

A classifier is `_preprocess -> _forward -> _postprocess`; only `_forward` touches torch and
the device, under `torch.inference_mode()`, and returns CPU numpy. The output columns are
always in `EMOTIONS` order, whatever the model's own label order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from emohelpers.analysis.table import EMOTIONS

Crop = Image.Image | np.ndarray


def to_pil(crop: Crop) -> Image.Image:
    """A face crop as an RGB PIL image (arrays are (h, w, 3) uint8 RGB or (h, w) gray)."""
    if isinstance(crop, Image.Image):
        return crop.convert("RGB") if crop.mode != "RGB" else crop
    arr = np.asarray(crop)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return Image.fromarray(arr).convert("RGB")


class BatchedModel:
    """What face and voice classifiers share: a name, a revision, a device, a batch size.

    Attributes:
        name: what every output names as the model (e.g. "mini-xception" or a Hub id).
        revision: the weights' revision or checksum, recorded in the provenance.
        device: the torch device the model runs on.
        batch_size: inputs (crops, speech windows) per forward pass.
    """

    name: str = ""
    revision: str | None = None

    def __init__(self, device: torch.device, batch_size: int = 32) -> None:
        self.device = device
        self.batch_size = int(batch_size)

    def info(self) -> dict[str, Any]:
        """What the provenance records about this model."""
        return {
            "name": self.name,
            "revision": self.revision,
            "device": str(self.device),
            "batch_size": self.batch_size,
        }


class Classifier(BatchedModel, ABC):
    """Base of every expression classifier (see `BatchedModel` for its attributes)."""

    # -- what subclasses provide -------------------------------------------------------
    @abstractmethod
    def preprocess(self, crops: Sequence[Crop]) -> torch.Tensor:
        """Crops -> the model's input batch on the CPU, (N, C, H, W) float32."""

    @property
    @abstractmethod
    def model(self) -> torch.nn.Module:
        """The torch module: input batch -> logits (N, 7) in `EMOTIONS` order.

        Used by explainability methods that need gradients; `predict` does not need them.
        """

    @property
    def cam_layer(self) -> torch.nn.Module | None:
        """The layer whose activations Grad-CAM explains (last convolution or last block)."""
        return None

    def cam_reshape(self, activations: torch.Tensor) -> torch.Tensor:
        """Activations of `cam_layer` as (N, C, h, w); ViTs turn tokens into a grid here."""
        return activations

    # -- the verb ----------------------------------------------------------------------
    def predict(self, crops: Sequence[Crop]) -> np.ndarray:
        """Expression probabilities for face crops.

        Args:
            crops: N face crops (PIL images or (h, w, 3) uint8 RGB arrays).

        Returns:
            (N, 7) float32 array in `EMOTIONS` order, rows summing to 1; (0, 7) for no crops.
        """
        crops = list(crops)
        out = np.empty((len(crops), len(EMOTIONS)), dtype=np.float32)
        for start in range(0, len(crops), self.batch_size):
            batch = self.preprocess(crops[start : start + self.batch_size])
            out[start : start + len(batch)] = self._forward(batch)
        return out

    def _forward(self, batch: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            logits = self.model(batch.to(self.device))
            return torch.softmax(logits.float(), dim=1).cpu().numpy()
