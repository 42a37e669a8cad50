"""Confidence intervals for verdicts: a moving-block bootstrap over time.

Neighbouring frames of one face are not independent evidence (an expression lasts seconds),
so resampling single frames would give intervals that are far too narrow. The block
bootstrap resamples runs of `block_s` seconds of each series (one person in one clip), so
that the dependence inside a block is kept (Künsch 1989; Politis & Romano's circular variant
avoids the edge effect). Blocks never cross from one series to the next.

Pure functions: tables in, new tables out; `seed` makes every interval reproducible.

Shares of the dominant emotion: per group (person, clip, corpus group...) the share of face
frames whose top emotion is each of the seven, with a percentile interval. The dominant
emotion is the largest share (ties: the summaries' rule, see `summary`), and it is
*uncertain* when the interval of its lead over the runner-up (share of the first minus share
of the second, both fixed by the point estimate) reaches 0.

Valence: the per-frame valence score (positive minus negative probability mass, method
"mean") or the vote (+1, 0, -1 per frame, method "vote"), averaged, with its interval; the
verdict is positive above `margin`, negative below `-margin`, neutral between, and it is
*uncertain* when the interval crosses `margin` or `-margin`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.summaries.valence import VALENCE_CLASSES, resolve_mapping

#: Default block length, seconds: about the length of one facial expression.
BLOCK_S = 2.0
N_BOOT = 1000
LEVEL = 0.95
_TIE = 1e-12


def _check(block_s: float, n_boot: int, level: float) -> None:
    if isinstance(block_s, bool) or not block_s > 0:
        raise ParameterError(f"block_s={block_s!r}: must be a number > 0 (seconds)")
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 50:
        raise ParameterError(f"n_boot={n_boot!r}: must be an integer >= 50")
    if isinstance(level, bool) or not 0.5 <= level < 1:
        raise ParameterError(f"level={level!r}: must be in [0.5, 1)")


def block_length(times_s: np.ndarray, block_s: float) -> int:
    """Frames per block for a series sampled at `times_s` (median step), at least 1."""
    if len(times_s) < 2:
        return 1
    step = float(np.median(np.diff(np.sort(times_s))))
    return max(1, int(round(block_s / step))) if step > 0 else 1


def block_bootstrap_indices(
    lengths: Sequence[int], blocks: Sequence[int], n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices of `n_boot` circular block-bootstrap resamples of concatenated series.

    Args:
        lengths: the length of each series (rows, in order, concatenated).
        blocks: the block length of each series (frames).
        n_boot: number of resamples.
        rng: the random generator.

    Returns:
        (n_boot, sum(lengths)) int64: each row resamples every series to its own length
        from blocks of consecutive rows of that series (wrapping around its end).
    """
    parts = []
    offset = 0
    for n, b in zip(lengths, blocks, strict=True):
        b = int(min(max(b, 1), n))
        k = -(-n // b)  # blocks needed to cover n
        starts = rng.integers(0, n, size=(n_boot, k))
        idx = (starts[:, :, None] + np.arange(b)[None, None, :]) % n
        parts.append(idx.reshape(n_boot, -1)[:, :n] + offset)
        offset += n
    if not parts:
        return np.zeros((n_boot, 0), dtype=np.int64)
    return np.concatenate(parts, axis=1).astype(np.int64)


def _series(faces: pd.DataFrame, series: Sequence[str], block_s: float) -> tuple:
    """Face rows sorted by series and time, with each series' length and block length."""
    keys = [c for c in series if c in faces.columns]
    faces = faces.sort_values([*keys, "time_s"], kind="stable")
    if keys:
        groups = [g for _, g in faces.groupby(keys, dropna=False, sort=False)]
    else:
        groups = [faces]
    lengths = [len(g) for g in groups]
    blocks = [block_length(g["time_s"].to_numpy(dtype=np.float64), block_s) for g in groups]
    return (pd.concat(groups) if groups else faces), lengths, blocks


def _groups(table: pd.DataFrame, by: Sequence[str]):
    faces = table[table["face"].notna() & table["emotion"].notna()]
    if not by:
        yield (), faces
        return
    for key, g in faces.groupby(list(by), dropna=False, sort=True):
        yield (key if isinstance(key, tuple) else (key,)), g


def _percentiles(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - level) / 2
    return np.quantile(samples, alpha, axis=0), np.quantile(samples, 1 - alpha, axis=0)


def dominant_shares(
    table: pd.DataFrame,
    by: Sequence[str] = ("person",),
    *,
    series: Sequence[str] = ("clip", "person"),
    block_s: float = BLOCK_S,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Shares of each emotion as the top emotion of face frames, with block-bootstrap CIs.

    Args:
        table: an emotion table (a corpus table with a `clip` column works too).
        by: grouping columns (() for the whole table).
        series: the columns that name one time series (blocks never cross two).
        block_s: block length, seconds.
        n_boot: bootstrap resamples.
        level: confidence level of the percentile intervals.
        seed: seed of the resampling.

    Returns:
        One row per group and emotion: the `by` columns, `emotion`, `n_face_frames`, `share`,
        `share_lo`, `share_hi`, `dominant` (bool: the group's dominant emotion),
        `lead_lo`/`lead_hi` (interval of the dominant share minus the runner-up's, on the
        dominant row) and `uncertain` (bool, on the dominant row: `lead_lo <= 0`).
    """
    _check(block_s, n_boot, level)
    rng = np.random.default_rng(seed)
    rows = []
    for key, g in _groups(table, by):
        g, lengths, blocks = _series(g, series, block_s)
        codes = pd.Categorical(g["emotion"].astype(str), categories=list(EMOTIONS)).codes
        onehot = np.eye(len(EMOTIONS))[codes]
        share = onehot.mean(axis=0)
        idx = block_bootstrap_indices(lengths, blocks, n_boot, rng)
        boot = onehot[idx].mean(axis=1)  # (n_boot, 7)
        lo, hi = _percentiles(boot, level)
        order = np.argsort(-share, kind="stable")  # ties: first in EMOTIONS order
        first, second = int(order[0]), int(order[1])
        lead_lo, lead_hi = _percentiles(boot[:, first] - boot[:, second], level)
        for k, emotion in enumerate(EMOTIONS):
            top = k == first
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "emotion": emotion,
                    "n_face_frames": len(g),
                    "share": float(share[k]),
                    "share_lo": float(lo[k]),
                    "share_hi": float(hi[k]),
                    "dominant": top,
                    "lead_lo": float(lead_lo) if top else np.nan,
                    "lead_hi": float(lead_hi) if top else np.nan,
                    "uncertain": bool(lead_lo <= _TIE) if top else False,
                }
            )
    return pd.DataFrame(rows)


def valence_interval(
    table: pd.DataFrame,
    by: Sequence[str] = ("person",),
    *,
    method: str = "mean",
    margin: float = 0.1,
    mapping: str | Mapping[str, str] = "default",
    series: Sequence[str] = ("clip", "person"),
    block_s: float = BLOCK_S,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean valence score per group with a block-bootstrap CI, its verdict and certainty.

    Args:
        table: an emotion table.
        by: grouping columns.
        method: "mean" (probability mass positive minus negative) or "vote" (+1/0/-1 by the
            class of each frame's top emotion).
        margin: verdict margin (positive above it, negative below minus it).
        mapping: the valence mapping (preset name or dict).
        series, block_s, n_boot, level, seed: as in `dominant_shares`.

    Returns:
        One row per group: the `by` columns, `n_face_frames`, `score`, `score_lo`,
        `score_hi`, `verdict` and `uncertain` (the interval crosses +-margin).
    """
    _check(block_s, n_boot, level)
    if method not in ("mean", "vote"):
        raise ParameterError(f"method={method!r}: allowed values are 'mean', 'vote'")
    if isinstance(margin, bool) or not 0 <= margin < 1:
        raise ParameterError(f"margin={margin!r}: must be in [0, 1)")
    m = resolve_mapping(mapping)
    sign = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}
    weights = np.array([sign[m[e]] for e in EMOTIONS])
    assert set(sign) == set(VALENCE_CLASSES)
    rng = np.random.default_rng(seed)
    rows = []
    for key, g in _groups(table, by):
        g, lengths, blocks = _series(g, series, block_s)
        if method == "mean":
            per_frame = g[list(EMOTIONS)].to_numpy(dtype=np.float64) @ weights
        else:
            per_frame = g["emotion"].astype(str).map(lambda e: sign[m[e]]).to_numpy(float)
        score = float(per_frame.mean())
        idx = block_bootstrap_indices(lengths, blocks, n_boot, rng)
        lo, hi = _percentiles(per_frame[idx].mean(axis=1), level)
        verdict = "positive" if score > margin else "negative" if score < -margin else "neutral"
        crosses = (lo <= margin < hi) or (lo < -margin <= hi)
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "n_face_frames": len(g),
                "score": score,
                "score_lo": float(lo),
                "score_hi": float(hi),
                "verdict": verdict,
                "uncertain": bool(crosses),
            }
        )
    return pd.DataFrame(rows)


def format_share(share: float, lo: float, hi: float) -> str:
    """ "62% [48-75%]": a share with its interval, rounded to whole percent."""
    return f"{share:.0%} [{lo * 100:.0f}-{hi:.0%}]"
