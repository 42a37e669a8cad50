"""Any Hugging Face `transformers` image-classification model with seven expression labels.

The seeds' model is `trpakov/vit-face-expression` (ViT-base, 7 classes). A Hub id is loaded
from the local Hugging Face cache when it is there; the network is used only when the user
names a Hub model and the cache lacks it. A local folder (save_pretrained) works offline.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import torch

from emohelpers.analysis.classifiers.base import Classifier, Crop, to_pil
from emohelpers.analysis.classifiers.labels import label_permutation
from emohelpers.core.errors import ModelLoadError

log = logging.getLogger(__name__)

SEED_MODEL = "trpakov/vit-face-expression"

_OFFLINE_HINT = (
    "Fixes: use the offline model with --model mini-xception; or copy a saved model folder "
    "(save_pretrained) here and pass its path; or run once where the Hugging Face Hub is "
    "reachable so that the model lands in the local cache (~/.cache/huggingface)."
)


#: Seconds allowed for the one connection attempt that tells whether the Hub is reachable.
HUB_CONNECT_TIMEOUT_S = 3.0


def hub_unreachable(timeout_s: float = HUB_CONNECT_TIMEOUT_S) -> str | None:
    """Why the Hugging Face Hub cannot be used now, or None when it can.

    One TCP connection to the Hub's endpoint (`HF_ENDPOINT`, default huggingface.co:443),
    so that an unreachable Hub fails in seconds instead of after minutes of retries;
    `HF_HUB_OFFLINE=1` answers without touching the network.
    """
    from huggingface_hub import constants  # the Hub's client only when a Hub model is asked for

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    url = urlsplit(constants.ENDPOINT)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        return f"the Hugging Face Hub ({host}:{port}) cannot be reached: {exc}"
    return None


def in_local_cache(model_id: str) -> bool:
    """Whether a Hub model's config and weights are already in the local HF cache."""
    from huggingface_hub import try_to_load_from_cache  # only when a Hub model is asked for

    if not isinstance(try_to_load_from_cache(model_id, "config.json"), str):
        return False
    return any(
        isinstance(try_to_load_from_cache(model_id, f), str)
        for f in ("model.safetensors", "pytorch_model.bin")
    )


def cached_revision(model_id: str) -> str | None:
    """The commit of a Hub model's files in the local HF cache (`snapshots/<commit>/`, the
    one `refs/main` points to), or None when the model is not cached."""
    from huggingface_hub import try_to_load_from_cache  # only when a Hub model is asked for

    path = try_to_load_from_cache(model_id, "config.json")
    if not isinstance(path, str) or Path(path).parent.parent.name != "snapshots":
        return None
    return Path(path).parent.name


def load_pretrained(
    source: str, loaders: Sequence[str], *, what: str, hint: str, local_files_only=None
) -> list[Any]:
    """`transformers.<loader>.from_pretrained(source)` for each loader, offline first.

    A local folder or a Hub id already in the local cache is loaded without the network; any
    other Hub id only after one short connection attempt says the Hub is reachable, so an
    unreachable Hub fails in seconds. Every failure is one `ModelLoadError` naming `source`
    and ending with `hint`.

    Args:
        source: a Hub id or a folder saved with `save_pretrained`.
        loaders: names of transformers Auto classes ("AutoImageProcessor", ...).
        what: what is loaded, for the message ("image classifier", "audio classifier").
        hint: the fixes the message ends with.
        local_files_only: None: decide as above; True: never touch the network.
    """
    is_folder = Path(source).is_dir()
    if local_files_only is None:
        local_files_only = is_folder or in_local_cache(source)
    offline = None if local_files_only else hub_unreachable()
    if offline:
        raise ModelLoadError(
            f"{source}: not a local folder, not in the local Hugging Face cache, and "
            f"{offline}. {hint}"
        )
    # Imported after the checks above: it takes seconds, the checks do not.
    import transformers  # seconds to import: only for a transformers model

    try:
        return [
            getattr(transformers, name).from_pretrained(source, local_files_only=local_files_only)
            for name in loaders
        ]
    except (OSError, ValueError, KeyError) as exc:
        where = "the folder" if is_folder else "the local cache or the Hugging Face Hub"
        raise ModelLoadError(
            f"{source}: cannot load the {what} from {where} "
            f"({type(exc).__name__}: {' '.join(str(exc).split())}). {hint}"
        ) from exc


class _Reordered(torch.nn.Module):
    """Wraps a transformers model: pixel_values -> logits in `EMOTIONS` order."""

    def __init__(self, model: torch.nn.Module, perm: np.ndarray) -> None:
        super().__init__()
        self.inner = model
        self.register_buffer("perm", torch.as_tensor(perm), persistent=False)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.inner(pixel_values=pixel_values).logits.index_select(1, self.perm)


class HFClassifier(Classifier):
    """A transformers image classifier (ViT and friends).

    Args:
        model_id: a Hub id (e.g. "trpakov/vit-face-expression") or a local folder.
        device: torch device.
        batch_size: crops per forward pass.
        local_files_only: never touch the network (the default for "auto" selection).

    Raises:
        ModelLoadError: the model cannot be loaded, or its labels are not the seven.
    """

    def __init__(
        self,
        model_id: str | Path,
        device: torch.device = torch.device("cpu"),
        batch_size: int = 16,
        local_files_only: bool | None = None,
    ) -> None:
        super().__init__(device, batch_size)
        source = str(model_id)
        is_folder = Path(source).is_dir()
        self.processor, hf_model = load_pretrained(
            source,
            ("AutoImageProcessor", "AutoModelForImageClassification"),
            what="image classifier",
            hint=_OFFLINE_HINT,
            local_files_only=local_files_only,
        )
        labels = [hf_model.config.id2label[i] for i in range(hf_model.config.num_labels)]
        perm = label_permutation(labels, source)
        self._model = _Reordered(hf_model.eval(), perm).to(device).eval()
        self.name = str(Path(source).resolve()) if is_folder else source
        # transformers 5 no longer sets `_commit_hash`: the cache's snapshot names the commit.
        self.revision = getattr(hf_model.config, "_commit_hash", None) or (
            "local folder" if is_folder else cached_revision(source)
        )
        self.labels = labels

    @property
    def model(self) -> torch.nn.Module:
        return self._model

    def preprocess(self, crops: Sequence[Crop]) -> torch.Tensor:
        images = [to_pil(c) for c in crops]
        if not images:
            size = self.processor.size
            h = size.get("height", size.get("shortest_edge", 224))
            w = size.get("width", h)
            return torch.zeros((0, 3, h, w))
        return self.processor(images=images, return_tensors="pt")["pixel_values"]

    @property
    def cam_layer(self) -> torch.nn.Module | None:
        # ViT: the last encoder block's first LayerNorm sees every token of the last block.
        inner = self._model.inner
        base = getattr(inner, str(getattr(inner, "base_model_prefix", "")), None)
        # transformers 5 keeps ViT blocks in `layers`; older versions in `encoder.layer`.
        encoder = getattr(base, "encoder", None)
        for layers in (
            getattr(base, "layers", None),
            getattr(encoder, "layer", None),
            getattr(encoder, "layers", None),
        ):
            if isinstance(layers, torch.nn.ModuleList) and len(layers):
                break
        else:
            return None
        last = layers[-1]
        return getattr(last, "layernorm_before", last)

    def cam_reshape(self, activations: torch.Tensor) -> torch.Tensor:
        if activations.ndim != 3:
            return activations
        tokens = activations[:, 1:, :]  # drop the CLS token
        side = int(round(tokens.shape[1] ** 0.5))
        if side * side != tokens.shape[1]:
            raise ValueError(f"cannot reshape {tokens.shape[1]} patch tokens into a square grid")
        return tokens.reshape(tokens.shape[0], side, side, tokens.shape[2]).permute(0, 3, 1, 2)

    def info(self) -> dict:
        d = super().info()
        d["labels"] = self.labels
        return d
