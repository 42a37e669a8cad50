"""The project's own face-expression network (`emo-vgg`): architecture and preprocessing.

Trained by `tools/train_face_model.py` on FER2013 (research-only terms, see
docs/face_model.md). The preprocessing is part of the model and is the same for training,
video analysis and `evaluate-images`:

1. the face crop in grayscale (ITU-R 601 luma), resized to 48x48 (PIL bilinear; the crop is
   the detector's box, as FER2013's faces are cropped);
2. per-image photometric normalisation: minus the crop's mean, divided by its standard
   deviation, so that a dim or low-contrast face reaches the network as a bright one does.

The network is VGG-style: four stages of two 3x3 convolutions (batch norm, ReLU), max pooling
between stages (48 -> 24 -> 12 -> 6 -> 3), global average pooling, dropout and one linear
layer; it returns logits in `EMOTIONS` order (the training labels are the folder names, which
are the seven emotions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch import nn

INPUT_PX = 48
#: Standard deviation floor of the photometric normalisation (of 0..1 pixel values): a flat
#: crop is not blown up into noise.
STD_FLOOR = 0.02


def to_gray48(crops: Sequence[Image.Image | np.ndarray]) -> np.ndarray:
    """Face crops as the network's gray inputs before normalisation.

    Args:
        crops: N face crops (RGB or gray PIL images, or (h, w, 3) / (h, w) uint8 arrays).

    Returns:
        (N, 48, 48) uint8.
    """
    out = np.empty((len(crops), INPUT_PX, INPUT_PX), dtype=np.uint8)
    for i, crop in enumerate(crops):
        img = crop if isinstance(crop, Image.Image) else Image.fromarray(np.asarray(crop))
        img = img.convert("L")
        if img.size != (INPUT_PX, INPUT_PX):
            img = img.resize((INPUT_PX, INPUT_PX), Image.Resampling.BILINEAR)
        out[i] = np.asarray(img)
    return out


def normalise(x: torch.Tensor) -> torch.Tensor:
    """Per-image photometric normalisation of a (N, 1, H, W) float batch in [0, 1]."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True).clamp_min(STD_FLOOR)
    return (x - mean) / std


def gray_to_input(gray: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, 48, 48) uint8 gray crops -> the network's (N, 1, 48, 48) float32 input."""
    t = torch.as_tensor(np.asarray(gray)).float().div_(255.0).unsqueeze(1)
    return normalise(t)


def _stage(c_in: int, c_out: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in ((c_in, c_out), (c_out, c_out)):
        layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
    return layers


class EmoVGG(nn.Module):
    """VGG-style expression network: (N, 1, 48, 48) normalised gray -> (N, 7) logits.

    Args:
        width: channels of the first stage; stages double it (32 -> 32, 64, 128, 256).
        dropout: dropout before the linear layer (training only).
        n_classes: 7.
    """

    def __init__(self, width: int = 32, dropout: float = 0.3, n_classes: int = 7) -> None:
        super().__init__()
        widths = [width, width * 2, width * 4, width * 8]
        layers: list[nn.Module] = []
        c_in = 1
        for i, w in enumerate(widths):
            layers += _stage(c_in, w)
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(c_in, n_classes)

    @property
    def last_conv(self) -> nn.Module:
        """The last convolution block's activation (Grad-CAM's layer)."""
        return self.features[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.pool(x).flatten(1)
        return self.head(self.drop(x))
