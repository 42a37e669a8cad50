"""Groups of clips compared: shares of dominant emotions and mean valence with clip-level
bootstrap intervals, a permutation test of difference and an effect size.

The units are rows of a unit table (`units.person_units`: one row per clip, or per person
in a clip), each with a dominant emotion and a mean valence score. **Clips are the
independent units**: frames of one clip, and persons of one clip, share a recording, so
every interval resamples whole clips (a cluster bootstrap: within each group, clips are
drawn with replacement and all their units come along), and every test permutes whole clips.

The tests (assumptions, stated once here and in `docs/summaries.md`):

- **Dominant emotions**: the chi-square statistic of the group x emotion table of units,
  its p-value from `n_perm` random permutations of the group labels over the clips (no
  expected-count rule: the permutation distribution replaces the chi-square
  approximation, `p_asymptotic` is shown beside it). It assumes that, without a
  difference, clips are exchangeable between groups (independent clips, groups not
  defined by something that changes the clips' emotions), and that every unit has the same
  weight (a 3 s clip counts as much as a 3 min one). Effect size: Cramér's V in [0, 1]
  with a bootstrap interval.
- **Valence**: with two groups the difference of mean scores (second minus first in sorted
  order) with a bootstrap interval, Cohen's d (pooled SD) and a permutation p-value of the
  absolute difference; with more groups the one-way F statistic, its permutation p-value
  and eta squared. Means are of unit scores (each unit weighs one), not of frames.
- Groups with fewer than `min_units` units are *too small*: shown, flagged, and left out of
  the tests; with fewer than two groups left, no test runs and a note says why. When a
  clip holds units of several groups (two persons compared across clips), labels are
  permuted over units instead, which assumes those persons' units independent.

Pure functions: tables in, new tables out; `seed` makes every figure reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2 as chi2_distribution

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.summaries.permutation import (
    chi2_statistic,
    cramers_v,
    f_statistic,
    p_value,
    permute_groups,
)

#: Groups with fewer units than this are too small to say anything.
MIN_UNITS = 5
N_BOOT = 2000
N_PERM = 5000
LEVEL = 0.95
_EPS = 1e-12


@dataclass(frozen=True)
class Comparison:
    """Groups compared on one grouping column (see the module docs for every rule).

    Attributes:
        group: the grouping column.
        shares: one row per group and emotion: `group`, `emotion`, `n_units`, `count`,
            `share`, `share_lo`, `share_hi`, `small` (the group is too small).
        valence: one row per group: `group`, `n_units`, `n_clips`, `mean`, `mean_lo`,
            `mean_hi`, `small`.
        emotion_test: the chi-square permutation test (`statistic`, `p_value`,
            `p_asymptotic`, `dof`, `cramers_v`, `cramers_v_lo`, `cramers_v_hi`, `n_units`,
            `groups`, `permuted`: "clips" | "units"); None when it could not run.
        valence_test: two groups: `difference`, `difference_lo`, `difference_hi`,
            `cohens_d`, `p_value`; more: `statistic` (F), `p_value`, `eta_squared`; both
            with `test`, `n_units`, `groups`, `permuted`; None when it could not run.
        notes: sentences for the reader (small groups, units left out, why no test).
    """

    group: str
    shares: pd.DataFrame
    valence: pd.DataFrame
    emotion_test: dict[str, Any] | None
    valence_test: dict[str, Any] | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _check(units: pd.DataFrame, group: str, cluster: str, n_boot, n_perm, level, min_units):
    for name, value, low in (("n_boot", n_boot, 100), ("n_perm", n_perm, 100)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ParameterError(f"{name}={value!r}: must be an integer >= {low}")
    if isinstance(level, bool) or not 0.5 <= level < 1:
        raise ParameterError(f"level={level!r}: must be in [0.5, 1)")
    if isinstance(min_units, bool) or not isinstance(min_units, int) or min_units < 2:
        raise ParameterError(f"min_units={min_units!r}: must be an integer >= 2")
    missing = [c for c in (group, cluster, "dominant", "valence_score") if c not in units]
    if missing:
        raise SchemaError(
            f"compare: the unit table lacks columns {missing}; make it with "
            "`summaries.units.person_units` (or give columns dominant, valence_score)"
        )


def _percentiles(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - level) / 2
    return np.quantile(samples, alpha, axis=0), np.quantile(samples, 1 - alpha, axis=0)


def _codes(dominant: pd.Series) -> np.ndarray:
    return dominant.astype(str).map({e: i for i, e in enumerate(EMOTIONS)}).to_numpy(np.int64)


def _per_cluster(g: pd.DataFrame, cluster: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per clip of a group: emotion counts (k, 7), valence sums (k,) and unit counts (k,)."""
    codes = _codes(g["dominant"])
    onehot = np.eye(len(EMOTIONS))[codes]
    keys, inverse = np.unique(g[cluster].astype(str).to_numpy(), return_inverse=True)
    counts = np.zeros((len(keys), len(EMOTIONS)))
    np.add.at(counts, inverse, onehot)
    vsum = np.bincount(inverse, weights=g["valence_score"].to_numpy(float), minlength=len(keys))
    n = np.bincount(inverse, minlength=len(keys)).astype(float)
    return counts, vsum, n


def _bootstrap(parts, n_boot: int, rng: np.random.Generator):
    """Per group, `n_boot` clip resamples: emotion counts (n_boot, G, 7), valence sums and
    unit counts (n_boot, G)."""
    counts = np.zeros((n_boot, len(parts), len(EMOTIONS)))
    vsum = np.zeros((n_boot, len(parts)))
    n = np.zeros((n_boot, len(parts)))
    for j, (c, v, k) in enumerate(parts):
        idx = rng.integers(0, len(k), size=(n_boot, len(k)))
        counts[:, j] = c[idx].sum(axis=1)
        vsum[:, j], n[:, j] = v[idx].sum(axis=1), k[idx].sum(axis=1)
    return counts, vsum, n


def compare(
    units: pd.DataFrame,
    group: str,
    *,
    cluster: str = "clip",
    n_boot: int = N_BOOT,
    n_perm: int = N_PERM,
    level: float = LEVEL,
    min_units: int = MIN_UNITS,
    seed: int = 0,
) -> Comparison:
    """Compare the groups of `units[group]`: shares of dominant emotions and mean valence
    with clip-level bootstrap intervals, permutation tests and effect sizes.

    Args:
        units: a unit table: one row per clip (or per person in a clip) with `group`,
            `cluster`, `dominant` (one of `EMOTIONS`; NaN: no face, left out) and
            `valence_score` (float in [-1, 1]).
        group: the grouping column (a metadata column, or a person key such as `name`).
            Rows where it is missing are left out (and counted in a note).
        cluster: the column naming the independent unit (clips).
        n_boot: bootstrap resamples for every interval.
        n_perm: permutations for each test.
        level: confidence level of the percentile intervals.
        min_units: a group with fewer units is too small (flagged, left out of the tests).
        seed: seed of the resampling.

    Returns:
        A `Comparison`.

    Raises:
        ParameterError: for invalid n_boot, n_perm, level or min_units.
        SchemaError: when a needed column is missing.
    """
    _check(units, group, cluster, n_boot, n_perm, level, min_units)
    rng = np.random.default_rng(seed)
    notes: list[str] = []
    data = units.loc[units[group].notna()]
    if len(data) < len(units):
        notes.append(f"{len(units) - len(data)} unit(s) without a {group} left out.")
    faceless = data["dominant"].isna() | data["valence_score"].isna()
    if faceless.any():
        notes.append(f"{int(faceless.sum())} unit(s) without a face left out.")
    unknown = ~faceless & ~data["dominant"].isin(EMOTIONS)
    if unknown.any():
        notes.append(f"{int(unknown.sum())} unit(s) with an emotion not in {EMOTIONS} left out.")
    data = data.loc[~faceless & ~unknown].sort_values([group, cluster], key=lambda s: s.astype(str))
    data = data.assign(**{group: data[group].astype(str)})
    names = sorted(data[group].unique())
    parts = [_per_cluster(data.loc[data[group] == g], cluster) for g in names]
    n_units = np.array([p[2].sum() for p in parts])
    small = n_units < min_units
    for g, n in zip(names, n_units, strict=True):
        if n < min_units:
            notes.append(f"{group} {g}: {int(n)} unit(s), too few to say anything (< {min_units}).")
    shares, valence = _describe(names, parts, small, n_boot, level, rng)
    tested = [i for i in range(len(names)) if not small[i]]
    if len(tested) < 2:
        notes.append(f"No test: {len(tested)} group(s) with {min_units} or more units (need 2).")
        return Comparison(group, shares, valence, None, None, tuple(notes))
    kept = data.loc[data[group].isin([names[i] for i in tested])]
    emo, val = _tests(kept, group, cluster, [parts[i] for i in tested], n_boot, n_perm, level, rng)
    return Comparison(group, shares, valence, emo, val, tuple(notes))


def _describe(names, parts, small, n_boot, level, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shares and mean valence per group with their bootstrap intervals."""
    counts, vsum, n = _bootstrap(parts, n_boot, rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_share = counts / n[..., None]
        boot_mean = vsum / n
    share_lo, share_hi = _percentiles(boot_share, level)
    mean_lo, mean_hi = _percentiles(boot_mean, level)
    share_rows, valence_rows = [], []
    for j, (name, (c, v, k)) in enumerate(zip(names, parts, strict=True)):
        total = k.sum()
        for e, emotion in enumerate(EMOTIONS):
            share_rows.append(
                {
                    "group": name,
                    "emotion": emotion,
                    "n_units": int(total),
                    "count": int(c[:, e].sum()),
                    "share": float(c[:, e].sum() / total),
                    "share_lo": float(share_lo[j, e]),
                    "share_hi": float(share_hi[j, e]),
                    "small": bool(small[j]),
                }
            )
        valence_rows.append(
            {
                "group": name,
                "n_units": int(total),
                "n_clips": len(k),
                "mean": float(v.sum() / total),
                "mean_lo": float(mean_lo[j]),
                "mean_hi": float(mean_hi[j]),
                "small": bool(small[j]),
            }
        )
    share_cols = ["group", "emotion", "n_units", "count", "share", "share_lo", "share_hi"]
    val_cols = ["group", "n_units", "n_clips", "mean", "mean_lo", "mean_hi", "small"]
    return (
        pd.DataFrame(share_rows, columns=[*share_cols, "small"]),
        pd.DataFrame(valence_rows, columns=val_cols),
    )


def _rows_to_permute(data: pd.DataFrame, group: str, cluster: str):
    """(labels, emotion counts, [valence sum, units]) per clip when each clip lies in one
    group, else per unit; and which it is."""
    codes = _codes(data["dominant"])
    onehot = np.eye(len(EMOTIONS))[codes]
    groups = pd.Categorical(data[group]).codes
    score = data["valence_score"].to_numpy(float)
    one_group = data.groupby(cluster)[group].nunique().max() <= 1
    if not one_group:
        return groups, onehot, np.stack([score, np.ones(len(score))], axis=1), "units"
    keys, inverse = np.unique(data[cluster].astype(str).to_numpy(), return_inverse=True)
    counts = np.zeros((len(keys), len(EMOTIONS)))
    np.add.at(counts, inverse, onehot)
    values = np.zeros((len(keys), 2))
    np.add.at(values, inverse, np.stack([score, np.ones(len(score))], axis=1))
    labels = np.zeros(len(keys), dtype=np.int64)
    labels[inverse] = groups
    return labels, counts, values, "clips"


def _tests(data, group, cluster, parts, n_boot, n_perm, level, rng):
    """The emotion and the valence test over groups that are large enough."""
    labels, counts, values, permuted = _rows_to_permute(data, group, cluster)
    g = int(labels.max()) + 1
    onehot = np.eye(g)[labels]
    observed = onehot.T @ counts  # (G, 7)
    obs_v, obs_n = onehot.T @ values[:, 0], onehot.T @ values[:, 1]
    null_t, null_v, null_n = permute_groups(labels, counts, values, n_perm, rng)
    b_counts, b_vsum, b_n = _bootstrap(parts, n_boot, rng)
    cols = observed.sum(axis=0) > 0
    chi2 = float(chi2_statistic(observed[None][:, :, cols])[0])
    dof = (g - 1) * (int(cols.sum()) - 1)
    boot_v = np.array([cramers_v(t) for t in b_counts])
    v_lo, v_hi = _percentiles(boot_v[~np.isnan(boot_v)], level) if dof > 0 else (np.nan,) * 2
    total = int(obs_n.sum())
    base = {"n_units": total, "groups": g, "permuted": permuted}
    emotion_test = {
        "test": "chi-square, permutation p-value",
        "statistic": chi2,
        "dof": dof,
        "p_value": p_value(chi2, chi2_statistic(null_t[:, :, cols])) if dof > 0 else 1.0,
        "p_asymptotic": float(chi2_distribution.sf(chi2, dof)) if dof > 0 else 1.0,
        "cramers_v": cramers_v(observed) if dof > 0 else 0.0,
        "cramers_v_lo": float(v_lo),
        "cramers_v_hi": float(v_hi),
        **base,
    }
    scores = data["valence_score"].to_numpy(float)
    means = obs_v / obs_n
    if g == 2:
        diff = float(means[1] - means[0])
        boot = b_vsum[:, 1] / b_n[:, 1] - b_vsum[:, 0] / b_n[:, 0]
        lo, hi = _percentiles(boot, level)
        a = scores[data[group].to_numpy() == sorted(data[group].unique())[0]]
        b = scores[data[group].to_numpy() == sorted(data[group].unique())[1]]
        pooled = np.sqrt(
            ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
        )
        null = np.abs(null_v[:, 1] / null_n[:, 1] - null_v[:, 0] / null_n[:, 0])
        valence_test = {
            "test": "difference of means, permutation p-value",
            "difference": diff,
            "difference_lo": float(lo),
            "difference_hi": float(hi),
            "cohens_d": float(diff / pooled) if pooled > _EPS else float("nan"),
            "p_value": p_value(abs(diff), null),
            **base,
        }
    else:
        grand = float(scores.sum())
        total_ss = float((scores**2).sum())
        f_obs = float(f_statistic(obs_v, obs_n, total_ss, grand))
        ss_total = total_ss - grand**2 / len(scores)
        between = float((obs_v**2 / obs_n).sum() - grand**2 / len(scores))
        valence_test = {
            "test": "one-way F, permutation p-value",
            "statistic": f_obs,
            "p_value": p_value(f_obs, f_statistic(null_v, null_n, total_ss, grand)),
            "eta_squared": between / ss_total if ss_total > _EPS else float("nan"),
            **base,
        }
    return emotion_test, valence_test


def compare_each(
    units: pd.DataFrame, group: str, within: str, **options: Any
) -> dict[str, Comparison]:
    """`compare` by `group` separately for each value of `within` (e.g. each named person
    across debates); {value: Comparison}, values as strings in sorted order."""
    if within not in units:
        raise SchemaError(f"compare_each: the unit table has no column {within!r}")
    subset = units.loc[units[within].notna()]
    return {
        str(v): compare(g, group, **options)
        for v, g in sorted(subset.groupby(within), key=lambda kv: str(kv[0]))
    }


def summary_rows(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """One row per comparison: group column, groups, units, the tests' p-values and effect
    sizes (what a report's table shows)."""
    rows = []
    for c in comparisons:
        e, v = c.emotion_test or {}, c.valence_test or {}
        rows.append(
            {
                "grouping": c.group,
                "groups": len(c.valence),
                "units": int(c.valence["n_units"].sum()) if len(c.valence) else 0,
                "emotion_p": e.get("p_value"),
                "cramers_v": e.get("cramers_v"),
                "valence_p": v.get("p_value"),
                "valence_effect": v.get("difference", v.get("eta_squared")),
                "notes": " ".join(c.notes),
            }
        )
    return pd.DataFrame(rows)
