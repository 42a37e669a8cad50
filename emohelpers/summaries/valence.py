"""Valence: the seven emotions mapped onto positive / neutral / negative, and verdicts.

A mapping sends each of `EMOTIONS` to one of `VALENCE_CLASSES`; two presets are named:

- "default": happy and surprise positive; neutral neutral; angry, disgust, fear and sad
  negative.
- "debate" (the debate study's): happy and surprise positive; neutral, fear and sad neutral;
  angry and disgust negative.

A verdict weighs positive against negative: `score` is the mean positive probability minus
the mean negative one (method "mean", the lecture study's "sum the probabilities") or the
share of face frames whose top emotion is positive minus the share negative (method "vote",
the debate study's tally). The verdict is positive when `score > margin`, negative when
`score < -margin`, neutral otherwise, so that near-ties come out neutral. Frames without a
face never count: a scope without any face has no verdict (NaN), never "neutral".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.summaries import summary

log = logging.getLogger(__name__)

VALENCE_CLASSES: tuple[str, ...] = ("positive", "neutral", "negative")
VALENCE_PRESETS: dict[str, dict[str, str]] = {
    "default": {
        "angry": "negative",
        "disgust": "negative",
        "fear": "negative",
        "happy": "positive",
        "neutral": "neutral",
        "sad": "negative",
        "surprise": "positive",
    },
    "debate": {
        "angry": "negative",
        "disgust": "negative",
        "fear": "neutral",
        "happy": "positive",
        "neutral": "neutral",
        "sad": "neutral",
        "surprise": "positive",
    },
}
LEVELS: tuple[str, ...] = ("clip", "person", "window")
METHODS: tuple[str, ...] = ("mean", "vote")
_STR = pd.StringDtype(na_value=np.nan)


def resolve_mapping(mapping: str | Mapping[str, str] = "default") -> dict[str, str]:
    """A complete emotion -> valence class mapping from a preset name or a dict.

    Args:
        mapping: a name in `VALENCE_PRESETS`, or a dict naming each of the seven emotions
            exactly once with a value in `VALENCE_CLASSES`.

    Raises:
        ParameterError: naming the unknown preset, the missing or unknown emotions, or the
            unknown class, with the allowed values.
    """
    if isinstance(mapping, str):
        if mapping not in VALENCE_PRESETS:
            raise ParameterError(
                f"mapping={mapping!r}: unknown preset; allowed values are {list(VALENCE_PRESETS)}"
                " or a dict emotion -> class"
            )
        return dict(VALENCE_PRESETS[mapping])
    if not isinstance(mapping, Mapping):
        raise ParameterError(
            f"mapping={mapping!r}: expected a preset name {list(VALENCE_PRESETS)} or a dict"
        )
    missing = [e for e in EMOTIONS if e not in mapping]
    unknown = [k for k in mapping if k not in EMOTIONS]
    if missing or unknown:
        raise ParameterError(
            f"mapping: missing emotions {missing}, unknown keys {unknown}; the keys must be "
            f"exactly {list(EMOTIONS)}"
        )
    bad = {k: v for k, v in mapping.items() if v not in VALENCE_CLASSES}
    if bad:
        raise ParameterError(
            f"mapping: values {bad} are not valence classes; allowed values are "
            f"{list(VALENCE_CLASSES)}"
        )
    return {e: mapping[e] for e in EMOTIONS}


def _class_matrix(mapping: dict[str, str]) -> np.ndarray:
    """(7, 3) 0/1 matrix: emotion i belongs to valence class j."""
    return np.array([[mapping[e] == c for c in VALENCE_CLASSES] for e in EMOTIONS], float)


def valence_of(emotions: Sequence | pd.Series, mapping: str | Mapping[str, str] = "default"):
    """Valence classes of emotion names (NaN/None stay NaN), as a string Series."""
    m = resolve_mapping(mapping)
    values = pd.Series(emotions, dtype=object)
    return pd.Series(values.map(m), index=values.index, dtype=_STR)


def valence_scores(data: pd.DataFrame, mapping: str | Mapping[str, str] = "default"):
    """Per-row valence: probability mass of each valence class, its score and class.

    Args:
        data: an emotion table or a `summary.windows` table (any frame with the seven
            emotion columns; for windows they are mean probabilities).
        mapping: a preset name or a dict (see `resolve_mapping`).

    Returns:
        A copy of `data` with `valence_positive`, `valence_neutral`, `valence_negative`
        (summed probabilities of the emotions in each class), `valence_score` (positive minus
        negative, in [-1, 1]) and `valence` (the class of the row's `emotion`, or of
        `dominant_vote` for windows). All NaN for rows without a face.

    Raises:
        SchemaError: when an emotion column is missing.
        ParameterError: for an invalid mapping.
    """
    m = resolve_mapping(mapping)
    missing = [e for e in EMOTIONS if e not in data.columns]
    if missing:
        raise SchemaError(f"valence_scores: missing probability columns {missing}")
    out = data.copy()
    mass = data[list(EMOTIONS)].to_numpy(dtype=np.float64) @ _class_matrix(m)
    for j, c in enumerate(VALENCE_CLASSES):
        out[f"valence_{c}"] = mass[:, j]
    out["valence_score"] = mass[:, 0] - mass[:, 2]
    top = next((c for c in ("emotion", "dominant_vote") if c in data.columns), None)
    top_values = data[top] if top else pd.Series(np.nan, index=data.index)
    out["valence"] = valence_of(top_values, m).to_numpy()
    return out


def _check_verdict_args(level, method, margin, labels) -> tuple[str, str, str]:
    if level not in LEVELS:
        raise ParameterError(f"level={level!r}: unknown; allowed values are {list(LEVELS)}")
    if method not in METHODS:
        raise ParameterError(f"method={method!r}: unknown; allowed values are {list(METHODS)}")
    if not (summary._is_number(margin) and 0 <= margin <= 1):
        raise ParameterError(f"margin={margin!r}: must be a number in [0, 1]")
    labels = tuple(labels) if not isinstance(labels, str) else (labels,)
    if (
        len(labels) != 3
        or len(set(labels)) != 3
        or not all(isinstance(x, str) and x for x in labels)
    ):
        raise ParameterError(
            f"labels={labels!r}: must be three distinct names for (positive, neutral, negative),"
            " e.g. ('interested', 'neutral', 'not interested')"
        )
    return labels


def verdict_of(score: np.ndarray, margin: float = 0.1, labels: Sequence[str] = VALENCE_CLASSES):
    """Verdicts of scores: labels[0] above `margin`, labels[2] below `-margin`, else labels[1].

    NaN scores (no face) give NaN verdicts. Returns a string array (object, NaN for none).
    """
    score = np.asarray(score, dtype=np.float64)
    v = np.where(score > margin, labels[0], np.where(score < -margin, labels[2], labels[1]))
    out = v.astype(object)
    out[np.isnan(score)] = None
    return out


def valence_verdict(
    table: pd.DataFrame,
    mapping: str | Mapping[str, str] = "default",
    *,
    level: str = "clip",
    window_s: float | None = None,
    window_frames: int | None = None,
    fps: float | None = None,
    method: str = "mean",
    margin: float = 0.1,
    labels: Sequence[str] = VALENCE_CLASSES,
) -> pd.DataFrame:
    """Valence scores, shares and a verdict per clip, per person or per window and person.

    Args:
        table: an emotion table (smooth it first with `summary.smooth` if wanted).
        mapping: a preset name or a dict (see `resolve_mapping`).
        level: "clip" (all faces pooled, one row), "person" (one row per person) or
            "window" (one row per window and person, like `summary.windows`).
        window_s, window_frames, fps: the windows for level "window" (see
            `summary.assign_windows`).
        method: "mean" (score from mean probabilities) or "vote" (from top-emotion shares).
        margin: a verdict needs `|score| > margin`, in [0, 1]; otherwise it is neutral.
        labels: names of the (positive, neutral, negative) verdicts.

    Returns:
        DataFrame with the scope's keys (`person`; `window`, `window_start_s`,
        `window_end_s`, `person`), `n_frames` (frames analysed in the scope), `n_faces` (face
        rows pooled), `sum_<class>` (summed probabilities), `mean_<class>` (sum / n_faces),
        `share_<class>` (fraction of faces whose top emotion is in the class), `score`,
        `margin` (|score|: how far the verdict is from a tie) and `verdict` (NaN when
        `n_faces` is 0). Classes are positive, neutral, negative.

    Raises:
        ParameterError: for an unknown level, method or mapping, a margin outside [0, 1],
            labels that are not three distinct names, or windows missing for level "window".
    """
    labels = _check_verdict_args(level, method, margin, labels)
    m = resolve_mapping(mapping)
    faces = table.loc[table["face"].notna()]
    cls = _class_matrix(m)
    mass = faces[list(EMOTIONS)].to_numpy(dtype=np.float64) @ cls
    top = pd.Categorical(faces["emotion"], categories=list(EMOTIONS)).codes
    work = pd.DataFrame(index=faces.index)
    work["person"] = faces["person"]
    for j, c in enumerate(VALENCE_CLASSES):
        work[f"sum_{c}"] = mass[:, j]
        work[f"_n_{c}"] = cls[top, j]
    if level == "clip":
        keys: list[str] = []
        skeleton = pd.DataFrame({"n_frames": [int(table["frame"].nunique())]})
    elif level == "person":
        keys = ["person"]
        skeleton = summary.dominant_emotion(table)[["person", "n_frames"]]
    else:
        if window_s is None and window_frames is None:
            raise ParameterError("level='window': give window_s or window_frames")
        keys = ["window", "person"]
        win = summary.windows(table, window_s=window_s, window_frames=window_frames, fps=fps)
        skeleton = win[["window", "window_start_s", "window_end_s", "person", "n_frames"]]
        work["window"] = summary.assign_windows(faces, window_s, window_frames, fps)["window"]
    value_cols = [c for c in work.columns if c.startswith(("sum_", "_n_"))]
    if keys:
        sums = work.groupby(keys, dropna=False)[value_cols].sum()
        sums["n_faces"] = work.groupby(keys, dropna=False).size()
        out = skeleton.merge(sums.reset_index(), on=keys, how="left")
    else:
        out = skeleton.assign(**work[value_cols].sum().to_dict(), n_faces=len(work))
    out["n_faces"] = out["n_faces"].fillna(0).astype(np.int64)
    n = out["n_faces"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in VALENCE_CLASSES:
            out[f"sum_{c}"] = np.where(n > 0, out[f"sum_{c}"].fillna(0.0), 0.0)
            out[f"mean_{c}"] = np.where(n > 0, out[f"sum_{c}"] / n, np.nan)
            out[f"share_{c}"] = np.where(n > 0, out[f"_n_{c}"] / n, np.nan)
    src = "mean" if method == "mean" else "share"
    out["score"] = out[f"{src}_positive"] - out[f"{src}_negative"]
    out["margin"] = out["score"].abs()
    out["verdict"] = pd.array(verdict_of(out["score"].to_numpy(), margin, labels), dtype=_STR)
    cols = [c for c in skeleton.columns] + ["n_faces"]
    for kind in ("sum", "mean", "share"):
        cols += [f"{kind}_{c}" for c in VALENCE_CLASSES]
    return out[[*cols, "score", "margin", "verdict"]].reset_index(drop=True)
