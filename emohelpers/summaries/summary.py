"""Summaries of an emotion table: smoothing, time windows, dominant emotion, turning points.

Pure functions: an emotion table in, a new DataFrame out; inputs are never modified.

Rules shared by every function here:

- Frames without a face never count as any emotion (in particular never as "neutral"): they
  count in `n_frames` (frames analysed) but not in `n_face_frames`, votes or means.
- Dominant emotion by vote (`dominant_vote`): the most frequent frame-level `emotion`; a tie
  in votes goes to the tied emotion with the higher mean probability, then to the first in
  `EMOTIONS` order. By mean (`dominant_mean`): the highest mean probability; ties (within
  1e-12) go to the first in `EMOTIONS` order, like `argmax`.
- Faces without a track id (person NaN but a face) are summarised together under person NaN;
  a window in which nobody appears gets one row with person NaN and `n_face_frames` 0.
- Time windows start at t = 0 s: window k covers `[k * window_s, (k + 1) * window_s)`; frame
  windows cover frames `[k * window_frames, (k + 1) * window_frames)`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.core.errors import ParameterError
from emohelpers.core.spec import is_number

log = logging.getLogger(__name__)

#: Smoothing methods accepted by `smooth`.
SMOOTH_METHODS: tuple[str, ...] = ("none", "moving", "ewm")
#: Columns of `windows` (then the seven mean probabilities, named after the emotions).
WINDOW_COLUMNS: tuple[str, ...] = (
    "window",
    "window_start_s",
    "window_end_s",
    "person",
    "n_frames",
    "n_face_frames",
    "dominant_vote",
    "dominant_mean",
)
TURNING_COLUMNS: tuple[str, ...] = (
    "person",
    "time_s",
    "kind",
    "from_emotion",
    "emotion",
    "value",
)
# Float slack for window edges and durations: 0.3 / 0.1 must land in window 3, not 2.
_EPS = 1e-9
_TIE = 1e-12
_STR = pd.StringDtype(na_value=np.nan)


_is_number = is_number  # the one meaning of "a number" (`core.spec`): never a boolean


def _check_positive(name: str, value: float | None, allow_zero: bool = False) -> None:
    ok = _is_number(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{name}={value!r}: must be a finite number {bound}")


def _faces(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["face"].notna()]


def main_persons(table: pd.DataFrame, limit: int | None = None) -> list[float]:
    """Persons by how much they are seen: most frames with a face first, ties by the lower
    id. The one definition of "main person" (reports, index, annotated video, evaluation).

    Args:
        table: an emotion table (or any part of one, e.g. the rows of one window).
        limit: at most this many; None for all.
    """
    tracked = table.loc[table["face"].notna() & table["person"].notna()]
    counts = tracked.groupby("person")["frame"].nunique()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [float(p) for p, _ in order[:limit]]


def main_person(table: pd.DataFrame) -> float:
    """The main person (see `main_persons`); NaN if nobody was seen."""
    persons = main_persons(table, 1)
    return persons[0] if persons else float("nan")


def smooth(table: pd.DataFrame, method: str = "moving", window_s: float = 1.0) -> pd.DataFrame:
    """Smooth each person's probabilities over time; `emotion` is recomputed from them.

    Args:
        table: an emotion table.
        method: "none" (a copy), "moving" (centred moving average: the mean of the person's
            rows with `|t' - t| <= window_s / 2`) or "ewm" (causal exponential average with a
            half-life of `window_s` seconds: a row `dt` seconds earlier weighs `0.5 **
            (dt / window_s)`; time gaps decay like time).
        window_s: window (moving) or half-life (ewm) in seconds, > 0.

    Returns:
        A new emotion table; rows without a face and faces without a person id are unchanged.

    Raises:
        ParameterError: for an unknown method or a window that is not > 0.
    """
    if method not in SMOOTH_METHODS:
        raise ParameterError(f"method={method!r}: unknown; allowed values are {SMOOTH_METHODS}")
    _check_positive("window_s", window_s)
    out = table.copy()
    if method == "none" or out.empty:
        return out
    cols = list(EMOTIONS)
    tracked = out.loc[out["face"].notna() & out["person"].notna()]
    for _, rows in tracked.groupby("person", sort=False):
        rows = rows.sort_values("time_s", kind="stable")
        t = rows["time_s"].to_numpy(dtype=np.float64)
        p = rows[cols].to_numpy(dtype=np.float64)
        if method == "moving":
            lo = np.searchsorted(t, t - window_s / 2 - _EPS, side="left")
            hi = np.searchsorted(t, t + window_s / 2 + _EPS, side="right")
            csum = np.vstack([np.zeros((1, p.shape[1])), np.cumsum(p, axis=0)])
            sm = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
        else:
            times = pd.Timestamp(0) + pd.to_timedelta(np.round(t * 1e6).astype(np.int64), "us")
            ewm = pd.DataFrame(p).ewm(halflife=pd.Timedelta(seconds=window_s), times=times)
            sm = ewm.mean().to_numpy()
        out.loc[rows.index, cols] = sm
    p = out[cols].to_numpy(dtype=np.float64)
    has = ~np.isnan(p).any(axis=1)
    top = np.asarray(EMOTIONS, dtype=object)[np.argmax(np.nan_to_num(p, nan=-1.0), axis=1)]
    out["emotion"] = pd.array(np.where(has, top, None), dtype=table["emotion"].dtype)
    return validate_table(out)


def _dominant(votes: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: index of the dominant emotion by vote and by mean (tie rules in the docs)."""
    means0 = np.nan_to_num(means, nan=-1.0)
    best_vote = votes == votes.max(axis=1, keepdims=True)
    tied_means = np.where(best_vote, means0, -np.inf)
    by_vote = np.argmax(tied_means >= tied_means.max(axis=1, keepdims=True) - _TIE, axis=1)
    by_mean = np.argmax(means0 >= means0.max(axis=1, keepdims=True) - _TIE, axis=1)
    return by_vote, by_mean


def _summarise(faces: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of face rows: n_face_frames, dominant_vote/mean, mean probabilities."""
    cols = list(EMOTIONS)
    if faces.empty:
        empty = {c: pd.Series(dtype="float64") for c in by}
        empty["n_face_frames"] = pd.Series(dtype="int64")
        empty.update({c: pd.Series(dtype=_STR) for c in ("dominant_vote", "dominant_mean")})
        empty.update({e: pd.Series(dtype="float64") for e in cols})
        return pd.DataFrame(empty)
    codes = pd.Categorical(faces["emotion"], categories=cols).codes
    work = faces[[*by, "frame", *cols]].copy()
    votes = np.eye(len(cols), dtype=np.int64)[codes]
    vote_cols = [f"_vote_{e}" for e in cols]
    work[vote_cols] = votes
    grouped = work.groupby(by, dropna=False, sort=True)
    means = grouped[cols].mean()
    vote_sum = grouped[vote_cols].sum()
    n_face = grouped["frame"].nunique()
    by_vote, by_mean = _dominant(vote_sum.to_numpy(), means.to_numpy())
    names = np.asarray(EMOTIONS, dtype=object)
    out = means.index.to_frame(index=False)
    out["n_face_frames"] = n_face.to_numpy().astype(np.int64)
    out["dominant_vote"] = pd.array(names[by_vote], dtype=_STR)
    out["dominant_mean"] = pd.array(names[by_mean], dtype=_STR)
    for e in cols:
        out[e] = means[e].to_numpy()
    return out


def _estimate_fps(table: pd.DataFrame) -> float:
    frames = table.drop_duplicates("frame")[["frame", "time_s"]].to_numpy(dtype=np.float64)
    if len(frames) < 2:
        return float("nan")
    d = np.diff(frames, axis=0)
    d = d[d[:, 1] > 0]
    return float(np.median(d[:, 0] / d[:, 1])) if len(d) else float("nan")


def _window_bounds(table, window_s, window_frames, fps):
    """(window index of every row, function: window indices -> (start_s, end_s))."""
    if (window_s is None) == (window_frames is None):
        raise ParameterError(
            f"window_s={window_s!r}, window_frames={window_frames!r}: give exactly one of them"
        )
    if window_s is not None:
        _check_positive("window_s", window_s)
        window_s = float(window_s)
        k = np.floor(table["time_s"].to_numpy(dtype=np.float64) / window_s + _EPS)
        return k.astype(np.int64), lambda k: (k * window_s, (k + 1) * window_s)
    if isinstance(window_frames, bool) or not isinstance(window_frames, int | np.integer):
        raise ParameterError(f"window_frames={window_frames!r}: must be an integer > 0")
    _check_positive("window_frames", window_frames)
    if fps is not None:
        _check_positive("fps", fps)
    rate = fps if fps is not None else _estimate_fps(table)
    # Frame windows get times from the first row's (frame, time_s) and the frame rate.
    f0, t0 = (table["frame"].iloc[0], table["time_s"].iloc[0]) if len(table) else (0, 0.0)

    def bounds(k):
        start = t0 + (k * window_frames - f0) / rate
        return start, start + window_frames / rate

    return table["frame"].to_numpy(dtype=np.int64) // int(window_frames), bounds


def assign_windows(
    table: pd.DataFrame,
    window_s: float | None = None,
    window_frames: int | None = None,
    fps: float | None = None,
) -> pd.DataFrame:
    """The window of every row and its bounds.

    Args:
        table: an emotion table.
        window_s: window length in seconds (windows start at t = 0).
        window_frames: window length in frames (windows start at frame 0); give exactly one
            of `window_s` and `window_frames`.
        fps: frames per second, used only to give frame windows their times; estimated from
            the table's (frame, time_s) pairs when None (NaN times for a one-frame table).

    Returns:
        DataFrame indexed like `table` with columns `window` (int64), `window_start_s`,
        `window_end_s`.

    Raises:
        ParameterError: unless exactly one window length is given and it is > 0.
    """
    k, bounds = _window_bounds(table, window_s, window_frames, fps)
    start, end = bounds(k)
    return pd.DataFrame(
        {"window": k, "window_start_s": start, "window_end_s": end}, index=table.index
    )


def windows(
    table: pd.DataFrame,
    window_s: float | None = None,
    window_frames: int | None = None,
    fps: float | None = None,
) -> pd.DataFrame:
    """Summarise a table per time window and per person.

    Every window from the one holding the first analysed frame to the one holding the last
    is listed, even one without analysed frames (`n_frames` 0), so that gaps show. Smooth the
    table first (`smooth`) to summarise smoothed probabilities.

    Args:
        table: an emotion table.
        window_s: window length in seconds, or
        window_frames: window length in frames (exactly one of the two).
        fps: see `assign_windows`.

    Returns:
        One row per (window, person) with a face in that window, plus one row with person
        NaN for each window without any face; columns `WINDOW_COLUMNS` (`n_frames`: frames
        analysed in the window; `n_face_frames`: those with this person's face) then the
        seven emotions, holding mean probabilities (NaN without a face). Sorted by window,
        then person.
    """
    k, bounds = _window_bounds(table, window_s, window_frames, fps)
    data = table[["frame", "face", "person", "emotion", *EMOTIONS]].assign(window=k)
    allk = np.arange(k.min(), k.max() + 1) if len(k) else np.array([], dtype=np.int64)
    n_frames = data.groupby("window")["frame"].nunique().reindex(allk, fill_value=0)
    summary = _summarise(_faces(data), ["window", "person"])
    seen = set(summary["window"].astype(np.int64))
    empty = pd.DataFrame({"window": [w for w in allk if w not in seen]})
    empty["person"] = np.nan
    empty["n_face_frames"] = 0
    out = pd.concat([summary, empty], ignore_index=True) if len(empty) else summary
    out["window"] = out["window"].astype(np.int64)
    out["window_start_s"], out["window_end_s"] = bounds(out["window"].to_numpy())
    out["n_frames"] = out["window"].map(n_frames).astype(np.int64)
    out["n_face_frames"] = out["n_face_frames"].astype(np.int64)
    for c in ("dominant_vote", "dominant_mean"):
        out[c] = out[c].astype(_STR)
    out = out.sort_values(["window", "person"], na_position="first", kind="stable")
    return out[[*WINDOW_COLUMNS, *EMOTIONS]].reset_index(drop=True)


def dominant_emotion(table: pd.DataFrame) -> pd.DataFrame:
    """The dominant emotion of each person over the whole clip.

    Args:
        table: an emotion table.

    Returns:
        One row per person (person NaN collects untracked faces) with `person`, `n_frames`
        (frames analysed in the clip), `n_face_frames`, `dominant_vote`, `dominant_mean` and
        the seven mean probabilities; a clip without any face gives one row with person NaN
        and `n_face_frames` 0; an empty table gives no rows.
    """
    out = _summarise(_faces(table), ["person"])
    if out.empty and len(table):
        out = pd.concat([out, pd.DataFrame({"person": [np.nan], "n_face_frames": [0]})])
    out.insert(1, "n_frames", int(table["frame"].nunique()))
    out["n_frames"] = out["n_frames"].astype(np.int64)
    out["n_face_frames"] = out["n_face_frames"].astype(np.int64)
    return out.sort_values("person", kind="stable").reset_index(drop=True)


def turning_points(
    table: pd.DataFrame,
    min_duration_s: float = 1.0,
    rise_threshold: float | None = 0.3,
    rise_window_s: float = 1.0,
) -> pd.DataFrame:
    """Moments where a person's expression turns: lasting changes and sharp rises.

    Change (kind "change"): a person's frame-level `emotion` splits into runs of one
    emotion. A run holds from its first row until the next run starts (the last run: until
    the person's last row); it is stable when it holds at least `min_duration_s`. The first
    stable run is the baseline; every later stable run whose emotion differs from the
    previous stable one is a change at its first row's time (`from_emotion` -> `emotion`,
    `value` = seconds it held). Shorter flickers in between are ignored.

    Rise (kind "rise"): a person's probability of one emotion exceeds its minimum over the
    preceding `rise_window_s` seconds (`[t - rise_window_s, t)`, that person's rows only) by
    at least `rise_threshold`; reported once at the first row of each such episode (`value`
    = the rise, `from_emotion` NaN) and again only after a row that falls short.

    Faces without a person id are skipped. Smooth the table first to damp noise.

    Args:
        table: an emotion table.
        min_duration_s: seconds a new dominant emotion must hold, >= 0.
        rise_threshold: probability rise that counts as sharp, in (0, 1]; None for no rises.
        rise_window_s: look-back window of rises in seconds, > 0.

    Returns:
        DataFrame with `TURNING_COLUMNS`, sorted by time, person and kind.
    """
    _check_positive("min_duration_s", min_duration_s, allow_zero=True)
    if rise_threshold is not None:
        if not (_is_number(rise_threshold) and 0 < rise_threshold <= 1):
            raise ParameterError(f"rise_threshold={rise_threshold!r}: must be in (0, 1] or None")
        _check_positive("rise_window_s", rise_window_s)
    records: list[tuple] = []
    tracked = table.loc[table["face"].notna() & table["person"].notna()]
    for person, rows in tracked.groupby("person", sort=True):
        rows = rows.sort_values("time_s", kind="stable")
        t = rows["time_s"].to_numpy(dtype=np.float64)
        emo = rows["emotion"].to_numpy(dtype=object)
        starts = np.flatnonzero(np.r_[True, emo[1:] != emo[:-1]])
        ends = np.r_[t[starts[1:]], t[-1]]
        prev = None
        for s, end in zip(starts, ends, strict=True):
            held = end - t[s]
            if held + _EPS < min_duration_s:
                continue
            if prev is not None and emo[s] != prev:
                records.append((person, t[s], "change", prev, emo[s], held))
            prev = emo[s]
        if rise_threshold is None:
            continue
        us = pd.to_timedelta(np.round(t * 1e6).astype(np.int64), "us")
        p = pd.DataFrame(rows[list(EMOTIONS)].to_numpy(), index=pd.Timestamp(0) + us)
        low = p.rolling(pd.Timedelta(seconds=rise_window_s), closed="left").min().to_numpy()
        rise = p.to_numpy() - low
        on = np.nan_to_num(rise, nan=-1.0) >= rise_threshold - _EPS
        first = on & ~np.vstack([np.zeros((1, on.shape[1]), bool), on[:-1]])
        for i, j in zip(*np.nonzero(first), strict=True):
            records.append((person, t[i], "rise", None, EMOTIONS[j], rise[i, j]))
    out = pd.DataFrame.from_records(records, columns=list(TURNING_COLUMNS))
    out = out.astype(
        {
            "person": "float64",
            "time_s": "float64",
            "kind": _STR,
            "from_emotion": _STR,
            "emotion": _STR,
            "value": "float64",
        }
    )
    return out.sort_values(["time_s", "person", "kind"], kind="stable").reset_index(drop=True)
