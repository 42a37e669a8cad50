"""Permutation tests and effect sizes for `compare`: Pearson's chi-square and the one-way
F statistic of many group arrangements at once, Cramér's V and the permutation p-value.

Pure functions on arrays; the rules and assumptions are stated in `compare`.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 256  # permutations per vectorised step (memory: _CHUNK x rows)
_EPS = 1e-12


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a contingency table (rows: groups, columns: categories), in [0, 1];
    rows and columns without any count are dropped; NaN when fewer than 2 of either remain."""
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(t.shape) < 2:
        return float("nan")
    chi2 = chi2_statistic(t[None])[0]
    return float(np.sqrt(chi2 / (t.sum() * (min(t.shape) - 1))))


def chi2_statistic(tables: np.ndarray) -> np.ndarray:
    """Pearson's chi-square of each (m, r, c) table (empty rows/columns contribute 0)."""
    n = tables.sum(axis=(1, 2), keepdims=True)
    expected = tables.sum(axis=2, keepdims=True) * tables.sum(axis=1, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (tables - expected) ** 2 / expected, 0.0)
    return terms.sum(axis=(1, 2))


def f_statistic(sums: np.ndarray, n: np.ndarray, total_ss: float, grand: float) -> np.ndarray:
    """One-way F of (m, G) group sums and sizes, given the total sum of squares (fixed)."""
    between = (sums**2 / n).sum(axis=-1) - grand**2 / n.sum(axis=-1)
    within = np.maximum(total_ss - between, _EPS)
    g, total = n.shape[-1], n.sum(axis=-1)
    return (between / (g - 1)) / (within / (total - g))


def permute_groups(labels: np.ndarray, counts: np.ndarray, values: np.ndarray, n_perm, rng):
    """Group totals under `n_perm` shuffles of `labels` (G groups, coded 0..G-1) over the rows
    (clips or units), each row keeping its emotion counts (rows, 7) and values (rows, 2:
    valence sum, units): emotion tables (n_perm, G, 7), valence sums and sizes (n_perm, G)."""
    g, rows = int(labels.max()) + 1, len(labels)
    columns = np.concatenate([counts, values], axis=1)  # (rows, 9)
    out = np.zeros((n_perm, g, columns.shape[1]))
    for start in range(0, n_perm, _CHUNK):
        m = min(_CHUNK, n_perm - start)
        shuffled = labels[np.argsort(rng.random((m, rows)), axis=1)]  # (m, rows)
        flat = (np.arange(m)[:, None] * g + shuffled).ravel()
        for k in range(columns.shape[1]):
            weights = np.tile(columns[:, k], m)
            out[start : start + m, :, k] = np.bincount(flat, weights, m * g).reshape(m, g)
    return out[..., : counts.shape[1]], out[..., -2], out[..., -1]


def p_value(observed: float, null: np.ndarray) -> float:
    """Permutation p-value, counting the observed arrangement (never 0)."""
    return float((1 + np.sum(null >= observed - 1e-9 * max(1.0, abs(observed)))) / (1 + len(null)))
