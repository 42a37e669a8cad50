"""Linking persons across clips: average-linkage clustering of face descriptors under a
distance threshold, with pairs that may never join (two persons seen in one frame).

The corpus step (`corpus.persons`) calls `link_descriptors` on every clip's person means.
Exact average linkage over thousands of persons would need the full distance matrix; but
clusters whose average distance is below the threshold always lie inside one connected
component of the graph of pairs closer than the threshold (an average is never below the
smallest member), so the pairs are found in blocks and each component is clustered on its
own (Lance-Williams updates), which keeps a large corpus cheap.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: Rows of descriptors compared at a time when looking for close pairs.
_BLOCK = 2048


def _close_pairs(x: np.ndarray, max_distance: float) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    sq = (x**2).sum(1)
    for start in range(0, len(x), _BLOCK):
        block = x[start : start + _BLOCK]
        d2 = sq[start : start + _BLOCK, None] + sq[None, :] - 2 * block @ x.T
        rows, cols = np.nonzero(d2 < max_distance**2)
        pairs += [
            (int(start + r), int(c)) for r, c in zip(rows, cols, strict=True) if start + r < c
        ]
    return pairs


def _components(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _average_linkage(
    x: np.ndarray, members: list[int], cannot: set[tuple[int, int]], max_distance: float
) -> list[list[int]]:
    """Average-linkage clusters of `members` (indices into `x`), never joining a pair of
    `cannot`, while the closest pair of clusters is nearer than `max_distance`."""
    sub = x[members]
    d = np.sqrt(np.maximum(((sub[:, None, :] - sub[None, :, :]) ** 2).sum(-1), 0.0))
    pos = {m: i for i, m in enumerate(members)}
    forbid = np.zeros(d.shape, dtype=bool)
    for a, b in cannot:
        if a in pos and b in pos:
            forbid[pos[a], pos[b]] = forbid[pos[b], pos[a]] = True
    size = np.ones(len(members))
    alive = np.ones(len(members), dtype=bool)
    clusters = [[m] for m in members]
    while True:
        masked = np.where(forbid | ~alive[:, None] | ~alive[None, :], np.inf, d)
        np.fill_diagonal(masked, np.inf)
        i, j = np.unravel_index(int(np.argmin(masked)), masked.shape)
        if not masked[i, j] < max_distance:
            break
        i, j = min(i, j), max(i, j)
        d[i, :] = d[:, i] = (size[i] * d[i] + size[j] * d[j]) / (size[i] + size[j])
        forbid[i, :] |= forbid[j]
        forbid[:, i] = forbid[i, :]
        size[i] += size[j]
        alive[j] = False
        clusters[i] += clusters[j]
    return [sorted(c) for c, a in zip(clusters, alive, strict=True) if a]


def link_descriptors(
    descriptors: np.ndarray, cannot: Iterable[tuple[int, int]], max_distance: float
) -> np.ndarray:
    """Group ids of persons: the same face across clips gets one id.

    Args:
        descriptors: (n, d) float mean face descriptors, one per person.
        cannot: pairs of row indices that may never share a group (seen in one frame).
        max_distance: largest average Euclidean descriptor distance at which groups join.

    Returns:
        (n,) int64 group ids 1, 2, ... in order of each group's first row.
    """
    x = np.asarray(descriptors, dtype=np.float64)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    forbidden = {(min(a, b), max(a, b)) for a, b in cannot}
    groups: list[list[int]] = []
    for component in _components(n, _close_pairs(x, max_distance)):
        if len(component) == 1:
            groups.append(component)
        else:
            groups += _average_linkage(x, component, forbidden, max_distance)
    labels = np.zeros(n, dtype=np.int64)
    for g, members in enumerate(sorted(groups, key=min), start=1):
        labels[members] = g
    return labels
