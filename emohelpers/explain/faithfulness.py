"""Faithfulness of attribution maps, measured: the deletion test.

The most-attributed input pixels are replaced by a baseline first, step by step, and the
explained emotion's probability is recorded; a faithful map makes it fall faster than a
random order does. The area under that curve (over the fraction deleted, in [0, 1]) is the
figure: lower is more faithful.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from emohelpers.analysis.classifiers.base import Classifier, Crop
from emohelpers.analysis.table import EMOTIONS
from emohelpers.explain.methods import METHODS, attribute, resize_maps


def _deletion_orders(maps: np.ndarray | None, n: int, hw: int, seed: int) -> np.ndarray:
    """(n, H*W) pixel orders: most-attributed first, ties (and `maps=None`) in seeded order."""
    orders = np.empty((n, hw), np.int64)
    for i in range(n):
        shuffle = np.random.default_rng([seed, i]).permutation(hw)
        if maps is None:
            orders[i] = shuffle
        else:  # lexsort: last key first; ties of the map keep the random order
            orders[i] = np.lexsort((np.argsort(shuffle), -maps[i].reshape(-1)))
    return orders


def _deletion_probs(
    clf: Classifier,
    x: torch.Tensor,
    orders: np.ndarray,
    targets: np.ndarray,
    steps: int,
    baseline: float,
) -> np.ndarray:
    n, c, h, w = x.shape
    counts = np.round(np.linspace(0, 1, steps + 1) * h * w).astype(int)
    probs = np.empty((n, steps + 1), np.float32)
    per_group = max(1, (4 * clf.batch_size) // (steps + 1))
    for s in range(0, n, per_group):
        variants = []
        for i in range(s, min(n, s + per_group)):
            for k in counts:
                v = x[i].reshape(c, h * w).clone()
                v[:, torch.from_numpy(orders[i, :k])] = baseline
                variants.append(v.reshape(c, h, w))
        logits = clf.model(torch.stack(variants).to(clf.device)).float()
        p = torch.softmax(logits, 1).cpu().numpy().reshape(-1, steps + 1, len(EMOTIONS))
        probs[s : s + len(p)] = p[np.arange(len(p)), :, targets[s : s + len(p)]]
    return probs


def deletion_curve(
    classifier: Classifier,
    crops: Sequence[Crop],
    maps: np.ndarray | None,
    emotion_idx: int | Sequence[int],
    *,
    steps: int = 20,
    baseline: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The deletion curve: the explained emotion's probability as pixels are deleted.

    Args:
        classifier: the explained classifier.
        crops: N face crops.
        maps: (N, H, W) maps (any size: resized to the model's input); None deletes in a
            random order, the reference a faithful map must beat.
        emotion_idx: the explained emotion per crop (index into `EMOTIONS`), or one for all.
        steps: deletion steps; step k sets the top k/steps of the input pixels (all
            channels) to `baseline`.
        baseline: the deleted value, in the model's normalised input space (0: mid-gray).
        seed: seeds the random order and the tie-breaks.

    Returns:
        (fractions (steps + 1,), probabilities (N, steps + 1) float32).
    """
    x = classifier.preprocess(list(crops))
    n, _, h, w = x.shape
    if maps is not None:
        maps = np.stack([resize_maps(m[None], (h, w))[0] for m in np.asarray(maps)])
    targets = np.broadcast_to(np.asarray(emotion_idx, dtype=np.int64), (n,))
    orders = _deletion_orders(maps, n, h * w, seed)
    with torch.inference_mode():
        probs = _deletion_probs(classifier, x, orders, targets, steps, baseline)
    return np.linspace(0, 1, steps + 1), probs


def deletion_auc(
    classifier: Classifier,
    crops: Sequence[Crop],
    maps: np.ndarray | None,
    emotion_idx: int | Sequence[int],
    **kwargs: Any,
) -> np.ndarray:
    """(N,) areas under the deletion curves, in [0, 1] (see `deletion_curve`); lower is
    more faithful."""
    fractions, probs = deletion_curve(classifier, crops, maps, emotion_idx, **kwargs)
    return np.trapezoid(probs, fractions, axis=1)


def faithfulness_report(
    classifier: Classifier,
    crops: Sequence[Crop],
    methods: Sequence[str] = METHODS,
    *,
    steps: int = 20,
    baseline: float = 0.0,
    seed: int = 0,
    **options: Any,
) -> pd.DataFrame:
    """The deletion test of each method on the crops' most probable emotion.

    Args:
        classifier: the explained classifier.
        crops: N face crops.
        methods: the methods to test.
        steps, baseline, seed: see `deletion_curve`.
        **options: `attribute`'s keyword options.

    Returns:
        One row per method: `method`, `faces`, `deletion_auc` (mean), `random_auc` (mean,
        random order), `difference` (random - deletion: > 0 means better than random),
        `wins` (fraction of faces where the map beats random) and `seconds_per_face`.
    """
    crops = list(crops)
    x = classifier.preprocess(crops)
    n, _, h, w = x.shape
    targets = classifier.predict(crops).argmax(1)

    def auc(maps: np.ndarray | None) -> np.ndarray:
        orders = _deletion_orders(maps, n, h * w, seed)
        with torch.inference_mode():
            probs = _deletion_probs(classifier, x, orders, targets, steps, baseline)
        return np.trapezoid(probs, dx=1 / steps, axis=1)

    rand, rows = auc(None), []
    for method in methods:
        t0 = time.perf_counter()
        maps = attribute(classifier, x, targets[:, None], method, **options)[:, 0]
        seconds = time.perf_counter() - t0
        deletion = auc(maps)
        rows.append(
            {
                "method": method,
                "faces": n,
                "deletion_auc": float(deletion.mean()),
                "random_auc": float(rand.mean()),
                "difference": float((rand - deletion).mean()),
                "wins": float((deletion < rand).mean()),
                "seconds_per_face": seconds / max(n, 1),
            }
        )
    return pd.DataFrame(rows)
