"""Attribution maps: which pixels of a face crop drove the classifier towards an emotion.

Three methods, all through captum, all in the model's input space (the `preprocess` output)
and mapped back to each crop's own size:

- "gradcam": `captum.attr.LayerGradCam` on `classifier.cam_layer`, the target's logit,
  ReLU'd. ViTs give tokens, not a grid: a forward hook passes the layer's output through
  `classifier.cam_reshape` into an identity "grid tap" module and writes the grid back into
  the token tensor (CLS untouched), so captum's Grad-CAM sees an (N, C, h, w) activation
  whose gradient is exactly the tokens' gradient.
- "occlusion": `captum.attr.Occlusion`, model-agnostic: a window slides over the input and
  is set to 0 (the model's normalised baseline: mid-gray for both classifiers); the map is
  the drop of the target's probability. One pass serves all seven emotions.
- "integrated-gradients": `captum.attr.IntegratedGradients` from the all-zero input to the
  crop, on the target's logit, summed over channels, positive part.

Every map is normalised by its own maximum into [0, 1]; a map that is zero everywhere (no
positive evidence, e.g. Grad-CAM's ReLU removing everything) stays all zeros: a constant
map, never NaN. Maps are mapped back to a crop by a plain resize, which assumes, as both
classifiers do, that `preprocess` resizes the whole crop (no centre crop).

Faithfulness is measured with the deletion test: delete (set to the baseline) the
most-attributed input pixels first and follow the explained emotion's probability; the area
under that curve, over the fraction deleted in [0, 1], is lower for more faithful maps, and
is compared with deleting pixels in a random (seeded) order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from emohelpers.analysis.classifiers.base import Classifier, Crop, to_pil
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.explain.method_names import METHODS

log = logging.getLogger(__name__)

#: Probability of an emotion under a uniform guess; figures explain emotions above it.


@dataclass(frozen=True)
class Explanation:
    """Attribution maps of N crops for E emotions.

    Attributes:
        method: one of `METHODS`.
        emotions: the E explained emotions, a subset of `EMOTIONS`.
        probs: (N, 7) float32 probabilities of each crop, `EMOTIONS` order.
        input_maps: (N, E, H, W) float32 in [0, 1], at the model's input size.
        maps: N arrays (E, h_i, w_i) float32 in [0, 1], at each crop's own size.
    """

    method: str
    emotions: tuple[str, ...]
    probs: np.ndarray
    input_maps: np.ndarray
    maps: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        n, e = len(self.maps), len(self.emotions)
        if self.probs.shape != (n, len(EMOTIONS)):
            raise ValueError(f"Explanation.probs: expected ({n}, 7), got {self.probs.shape}")
        if self.input_maps.ndim != 4 or self.input_maps.shape[:2] != (n, e):
            raise ValueError(
                f"Explanation.input_maps: expected ({n}, {e}, H, W), got {self.input_maps.shape}"
            )
        bad = [m.shape for m in self.maps if m.ndim != 3 or m.shape[0] != e]
        if bad:
            raise ValueError(f"Explanation.maps: expected ({e}, h, w) arrays, got {bad[0]}")

    def __len__(self) -> int:
        return len(self.maps)

    def maps_by_emotion(self, i: int) -> dict[str, np.ndarray]:
        """Emotion -> (h, w) map of crop `i`, at the crop's size."""
        return dict(zip(self.emotions, self.maps[i], strict=True))


# --- helpers -----------------------------------------------------------------------------


def _emotion_names(emotions: Sequence[str] | str | None) -> tuple[str, ...]:
    if emotions is None:
        return EMOTIONS
    names = (emotions,) if isinstance(emotions, str) else tuple(emotions)
    unknown = [e for e in names if e not in EMOTIONS]
    if unknown or not names:
        raise ParameterError(f"emotions={list(names)}: choose from {list(EMOTIONS)}")
    return names


@contextmanager
def _explaining(model: nn.Module) -> Iterator[None]:
    """Eval mode and frozen weights while explaining; both restored afterwards.

    Frozen weights keep autograd to the activations and inputs, which is all attribution
    needs (and avoids the parameter-gradient path, which crashes torch's CPU backward of
    the channels-last mini-Xception at large batches).
    """
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


def normalise_maps(maps: torch.Tensor | np.ndarray, percentile: float = 100.0) -> np.ndarray:
    """Each (H, W) map divided by its `percentile`-th value (its maximum by default) and
    clipped to [0, 1]; maps without positive values become zeros.

    Args:
        maps: (..., H, W) raw attributions (negative values are clipped to 0).
        percentile: the value mapped to 1; below 100, the few strongest pixels of a
            pixel-level map (integrated gradients) saturate instead of dimming the rest.

    Returns:
        float32 array of the same shape in [0, 1], NaN-free.
    """
    raw = torch.as_tensor(maps, dtype=torch.float32).detach().cpu()
    a = torch.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0).clamp_min(0).numpy()
    flat = a.reshape(*a.shape[:-2], -1)
    top = flat.max(-1) if percentile >= 100 else np.percentile(flat, percentile, axis=-1)
    top = np.where(top > 1e-12, top, flat.max(-1))[..., None, None]
    out = np.divide(a, top, out=np.zeros_like(a), where=top > 1e-12)
    return out.clip(0, 1).astype(np.float32)


def resize_maps(maps: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """(E, H, W) maps in [0, 1] -> (E, h, w) float32, bilinear (values stay in [0, 1])."""
    t = torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))[None]
    if tuple(t.shape[-2:]) != tuple(size_hw):
        t = F.interpolate(t, size=tuple(size_hw), mode="bilinear", align_corners=False)
    return t[0].clamp(0, 1).numpy()


class _GridTap(nn.Module):
    """Identity on a (N, C, h, w) grid: the layer captum's Grad-CAM hooks for token models."""

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return grid


@contextmanager
def _grid_tap(classifier: Classifier) -> Iterator[nn.Module]:
    """Route `cam_layer`'s output through `cam_reshape` and a `_GridTap`, and back.

    The grid is written back into the activation at the positions `cam_reshape` read
    (found by reshaping an index tensor), so the model's output is unchanged and the
    gradient at the tap is the gradient of those activations. For a spatial layer
    `cam_reshape` is the identity and the tap sees the layer's own output.
    """
    layer = classifier.cam_layer
    if layer is None:
        raise ParameterError(
            f"{classifier.name}: no cam_layer, so Grad-CAM cannot explain it; "
            "use method='occlusion' (model-agnostic)"
        )
    tap = _GridTap()

    def hook(module: nn.Module, inputs: Any, output: Any) -> Any:
        out = output[0] if isinstance(output, tuple) else output
        index = torch.arange(out[0].numel(), device=out.device).reshape(1, *out.shape[1:])
        pos = classifier.cam_reshape(index).reshape(-1)
        grid = tap(classifier.cam_reshape(out))
        flat = out.reshape(out.shape[0], -1).index_copy(1, pos, grid.reshape(len(grid), -1))
        new = flat.reshape(out.shape)
        return (new, *output[1:]) if isinstance(output, tuple) else new

    handle = layer.register_forward_hook(hook)
    try:
        yield tap
    finally:
        handle.remove()


# --- the three methods, on model inputs ---------------------------------------------------


def _gradcam(clf: Classifier, x: torch.Tensor, targets: torch.Tensor, batch: int) -> torch.Tensor:
    from captum.attr import LayerAttribution, LayerGradCam  # captum only when explaining

    out = []
    with _grid_tap(clf) as tap:
        cam = LayerGradCam(clf.model, tap)
        for s in range(0, len(x), batch):
            a = cam.attribute(
                x[s : s + batch], target=targets[s : s + batch].tolist(), relu_attributions=True
            )
            a = LayerAttribution.interpolate(a.detach(), tuple(x.shape[-2:]), "bilinear")
            out.append(a[:, 0])
    return torch.cat(out)


def _integrated_gradients(
    clf: Classifier, x: torch.Tensor, targets: torch.Tensor, batch: int, steps: int
) -> torch.Tensor:
    from captum.attr import IntegratedGradients  # captum only when explaining

    ig = IntegratedGradients(clf.model)
    out = []
    for s in range(0, len(x), batch):
        a = ig.attribute(
            x[s : s + batch],
            baselines=0.0,
            target=targets[s : s + batch].tolist(),
            n_steps=steps,
            internal_batch_size=batch,
        )
        out.append(a.detach().sum(1))
    return torch.cat(out)


def _occlusion(
    clf: Classifier, x: torch.Tensor, batch: int, window: int | None, stride: int | None
) -> torch.Tensor:
    """(N, C, H, W) -> (N, 7, H, W): one set of occluded forwards serves every emotion."""
    from captum.attr import Occlusion  # captum only when explaining

    c, h, w = x.shape[1:]
    window = window or max(2, min(h, w) // 8)
    stride = stride or max(1, window // 2)
    occ = Occlusion(lambda z: torch.softmax(clf.model(z).float(), dim=1))
    out = []
    # Occlusion's target=None attributes every output element: (n * 7, C, H, W).
    step = max(1, batch // 4)
    for s in range(0, len(x), step):
        chunk = x[s : s + step]
        a = occ.attribute(
            chunk,
            sliding_window_shapes=(c, window, window),
            strides=(c, stride, stride),
            baselines=0.0,
            target=None,
            perturbations_per_eval=max(1, 4 * batch // len(chunk)),
        )
        out.append(a.detach().reshape(len(chunk), len(EMOTIONS), c, h, w).sum(2))
    return torch.cat(out)


def attribute(
    classifier: Classifier,
    inputs: torch.Tensor,
    targets: np.ndarray | Sequence[Sequence[int]],
    method: str = "gradcam",
    *,
    batch_size: int | None = None,
    occlusion_window: int | None = None,
    occlusion_stride: int | None = None,
    ig_steps: int = 32,
) -> np.ndarray:
    """Normalised attribution maps in the model's input space.

    Args:
        classifier: the classifier whose `model` is explained.
        inputs: (N, C, H, W) float32, the classifier's `preprocess` output.
        targets: (N, E) int indices into `EMOTIONS`, the emotions to explain per input.
        method: "gradcam" | "occlusion" | "integrated-gradients".
        batch_size: rows per forward/backward (default: the classifier's).
        occlusion_window, occlusion_stride: occlusion window side and step, input pixels
            (default: an eighth of the input side, and half the window).
        ig_steps: integration steps of integrated gradients.

    Returns:
        (N, E, H, W) float32 maps in [0, 1] (see `normalise_maps`).

    Raises:
        ParameterError: for an unknown method, bad targets, or Grad-CAM without a cam_layer.
    """
    if method not in METHODS:
        raise ParameterError(f"method={method!r}: choose one of {list(METHODS)}")
    t = torch.as_tensor(np.asarray(targets, dtype=np.int64))
    if t.ndim != 2 or len(t) != len(inputs) or (t.numel() and not 0 <= t.min() <= t.max() < 7):
        raise ParameterError(f"targets: expected ({len(inputs)}, E) ints in 0..6, got {t.shape}")
    n, e = t.shape
    h, w = inputs.shape[-2:]
    if n == 0 or e == 0:
        return np.zeros((n, e, h, w), np.float32)
    batch = int(batch_size or classifier.batch_size)
    x = inputs.detach().float().to(classifier.device)
    with _explaining(classifier.model):
        if method == "occlusion":
            a = _occlusion(classifier, x, batch, occlusion_window, occlusion_stride)
            raw = torch.gather(a, 1, t.to(a.device)[:, :, None, None].expand(-1, -1, h, w))
        else:
            # One row per (input, target) pair, so that a batch mixes targets.
            rows, flat = x.repeat_interleave(e, dim=0), t.reshape(-1)
            if method == "gradcam":
                raw = _gradcam(classifier, rows, flat, batch)
            else:
                raw = _integrated_gradients(classifier, rows, flat, batch, ig_steps)
            raw = raw.reshape(n, e, h, w)
    # Pixel-level maps have a few extreme pixels: saturate the top 1% rather than dim the rest.
    return normalise_maps(raw, 99.0 if method == "integrated-gradients" else 100.0)


def explain(
    classifier: Classifier,
    crops: Sequence[Crop],
    emotions: Sequence[str] | str | None = None,
    method: str = "gradcam",
    **options: Any,
) -> Explanation:
    """Attribution maps of face crops for some emotions, at each crop's own size.

    Deterministic: no sampling anywhere, the model in eval mode.

    Args:
        classifier: a loaded classifier (mini-xception, a transformers model...).
        crops: N face crops (PIL images or (h, w, 3) uint8 RGB arrays).
        emotions: the emotions to explain, names from `EMOTIONS` (None: all seven).
        method: "gradcam" | "occlusion" | "integrated-gradients".
        **options: `attribute`'s keyword options (batch_size, occlusion_window, ...).

    Returns:
        An `Explanation`: maps (E, h_i, w_i) per crop in [0, 1], the crops' probabilities.
    """
    names = _emotion_names(emotions)
    crops = list(crops)
    x = classifier.preprocess(crops)
    probs = classifier.predict(crops)
    targets = np.tile([EMOTIONS.index(e) for e in names], (len(crops), 1))
    t0 = time.perf_counter()
    input_maps = attribute(classifier, x, targets, method, **options)
    sizes = [to_pil(c).size[::-1] for c in crops]
    maps = tuple(resize_maps(m, hw) for m, hw in zip(input_maps, sizes, strict=True))
    log.debug(
        "%s on %d crops x %d emotions: %.2f s",
        method,
        len(crops),
        len(names),
        time.perf_counter() - t0,
    )
    return Explanation(method, names, probs.astype(np.float32), input_maps, maps)


# The deletion test that measures these maps' faithfulness lives in `faithfulness.py`.
