"""How far a classifier's confidence is from its accuracy: the expected calibration error
(ECE) of the top-1 probability and the reliability diagram's points. Pure numpy.

Bins are `bins` equal-width intervals (lo, hi] of the top-1 probability; the ECE is the
mean over faces of |accuracy - mean confidence| of their bin (Guo et al. 2017, 15 bins).
"""

from __future__ import annotations

import numpy as np

from emohelpers.core.errors import ParameterError

BINS = 15


def _top1(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels).reshape(-1)
    if p.ndim != 2 or p.shape[0] != y.shape[0]:
        raise ParameterError(
            f"calibration: expected (n, classes) probabilities and n labels, got {p.shape} "
            f"and {y.shape}"
        )
    return p.max(axis=1), p.argmax(axis=1) == y


def _bins(conf: np.ndarray, bins: int) -> np.ndarray:
    if bins < 1:
        raise ParameterError(f"bins={bins}: must be >= 1")
    # (lo, hi]: bin k holds lo_k < conf <= hi_k; a confidence of exactly 0 joins bin 0.
    return np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """ECE of (n, classes) probabilities against n integer labels; 0 for n = 0."""
    conf, right = _top1(probs, labels)
    if not len(conf):
        return 0.0
    k = _bins(conf, bins)
    n = np.bincount(k, minlength=bins)
    gap = np.abs(np.bincount(k, right, bins) - np.bincount(k, conf, bins))
    return float(gap.sum() / n.sum())


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[dict]:
    """The reliability diagram's points: per non-empty bin its edges, count, mean
    confidence and accuracy."""
    conf, right = _top1(probs, labels)
    k = _bins(conf, bins)
    rows = []
    for b in np.unique(k):
        m = k == b
        rows.append(
            {
                "lo": round(b / bins, 4),
                "hi": round((b + 1) / bins, 4),
                "n": int(m.sum()),
                "confidence": float(conf[m].mean()),
                "accuracy": float(right[m].mean()),
            }
        )
    return rows
