"""Evaluation: golden labels matched against emotion tables, scored (pure: no file is read or
written; `report.evaluation_io` reads the golden CSV and the analyses and writes the results).

Golden CSV (one header line, then one row per judgement):

- `clip` (required): the stem of the video file (`debate_0042` for `.../debate_0042.mp4`);
- `label` (required): one of the seven emotions (synonyms such as "anger" accepted) or one
  of the valence classes positive / neutral / negative; a file holds one kind only;
- `start_s`, `end_s` (optional, both or neither): the window `[start_s, end_s)` in seconds;
  empty means the whole clip;
- `person` (optional): the track id; empty means the main person of the window (the one
  with the most frames with a face there; ties: the lowest id).

Other columns are ignored. A golden row without a prediction (no analysis of its clip, no
analysed frame or no face in its window) is kept and counted as "no prediction": it counts
as wrong in `accuracy` and in recall, and is listed with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.emotions import canonical_label
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.summaries import summary, valence
from emohelpers.summaries.metrics import (  # noqa: F401  (re-exported: one import path for evaluation)
    NO_PREDICTION,
    classification_metrics,
    confusion_frame,
    per_class_frame,
)

log = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("auto", "emotion", "valence")
DOMINANT: tuple[str, ...] = ("vote", "mean")
VALENCE_BY: tuple[str, ...] = ("dominant", "verdict")
_EPS = 1e-9


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r}: unknown; allowed values are {list(allowed)}")
    return value


# -- golden labels -----------------------------------------------------------------------
def golden_rows(
    header: Sequence[str],
    raw: Sequence[tuple[int, Mapping[str, Any]]],
    source: str,
    task: str = "auto",
) -> tuple[pd.DataFrame, str]:
    """Check the rows of a golden CSV (format in the module docs), as the CSV reader gave them.

    Args:
        header: the column names (stripped).
        raw: (line number in the file, {column: text}) per row after the header.
        source: the file's name, for messages.
        task: "emotion", "valence" or "auto" (valence when every label is a valence class and
            one is positive or negative, else emotion).

    Returns:
        (rows, task): rows with `line`, `clip`, `start_s`, `end_s`, `person` (NaN when not
        given) and `label` (canonical spelling).

    Raises:
        SchemaError: naming the file, the line and the problem.
        ParameterError: for an unknown task.
    """
    _choice("task", task, TASKS)
    path = source
    missing = [c for c in ("clip", "label") if c not in header]
    if missing:
        raise SchemaError(
            f"{path}, line 1: missing columns {missing}; the header is {list(header)}"
        )
    if not raw:
        raise SchemaError(f"{path}: no golden rows after the header")

    def number(line: int, row: Mapping[str, Any], col: str) -> float:
        text = (row.get(col) or "").strip()
        if not text:
            return np.nan
        try:
            value = float(text)
        except ValueError:
            value = np.nan
        if not np.isfinite(value) or value < 0:
            raise SchemaError(f"{path}, line {line}: {col}={text!r} is not a number >= 0")
        return value

    records = []
    for line, row in raw:
        clip = (row.get("clip") or "").strip()
        label = (row.get("label") or "").strip().lower()
        if not clip or not label:
            raise SchemaError(f"{path}, line {line}: empty clip or label")
        start, end = number(line, row, "start_s"), number(line, row, "end_s")
        if np.isnan(start) != np.isnan(end):
            raise SchemaError(f"{path}, line {line}: give both start_s and end_s, or neither")
        if start >= end:
            raise SchemaError(f"{path}, line {line}: start_s={start} is not before end_s={end}")
        person = number(line, row, "person")
        if not np.isnan(person) and person != int(person):
            raise SchemaError(f"{path}, line {line}: person={person} is not a track id")
        records.append((line, clip, start, end, person, label))
    rows = pd.DataFrame(records, columns=["line", "clip", "start_s", "end_s", "person", "label"])
    labels = set(rows["label"])
    if task == "auto":
        polar = labels & {"positive", "negative"}
        task = "valence" if polar and labels <= set(valence.VALENCE_CLASSES) else "emotion"
    for line, label in zip(rows["line"], rows["label"], strict=True):
        ok = label in valence.VALENCE_CLASSES if task == "valence" else canonical_label(label)
        if not ok:
            allowed = valence.VALENCE_CLASSES if task == "valence" else EMOTIONS
            kind = "a valence" if task == "valence" else "an emotion"
            raise SchemaError(
                f"{path}, line {line}: label {label!r} is not {kind} label; allowed are "
                f"{list(allowed)} (one kind per file)"
            )
    if task == "emotion":
        rows["label"] = [canonical_label(x) for x in rows["label"]]
    return rows, task


# -- predictions ------------------------------------------------------------------------
def predict_one(
    table: pd.DataFrame,
    start_s: float = np.nan,
    end_s: float = np.nan,
    person: float = np.nan,
    *,
    task: str = "emotion",
    dominant: str = "vote",
    mapping: Any = "default",
    valence_by: str = "dominant",
    margin: float = 0.1,
) -> tuple[str | None, float, int, str | None]:
    """The prediction for one golden scope of an emotion table.

    Args:
        table: the clip's emotion table.
        start_s, end_s: the window `[start_s, end_s)`; NaN for the whole clip.
        person: the track id; NaN for the main person of the window.
        task: "emotion" or "valence".
        dominant: "vote" or "mean" (see `summary`).
        mapping: valence mapping (preset name or dict), for task "valence".
        valence_by: "dominant" (the class of the dominant emotion, the debate study's rule)
            or "verdict" (`valence.valence_verdict` with method "mean" and `margin`).
        margin: the verdict's margin.

    Returns:
        (predicted label or None, person used, frames with that face, reason for no
        prediction or None).
    """
    scope = table
    if not np.isnan(start_s):
        t = table["time_s"]
        scope = table.loc[(t >= start_s - _EPS) & (t < end_s - _EPS)]
    if scope.empty:
        return None, person, 0, "no analysed frame in the window"
    who = summary.main_person(scope) if np.isnan(person) else person
    faces = scope.loc[scope["face"].notna()]
    faces = faces.loc[faces["person"] == who] if not np.isnan(who) else faces
    if faces.empty:
        reason = "no face" if np.isnan(person) else f"no face of person {person:g}"
        return None, who, 0, reason + (" in the clip" if np.isnan(start_s) else " in the window")
    n_face = int(faces["frame"].nunique())
    if task == "valence" and valence_by == "verdict":
        v = valence.valence_verdict(faces, mapping, level="clip", margin=margin)
        return str(v["verdict"].iloc[0]), who, n_face, None
    top = summary.dominant_emotion(faces)[f"dominant_{dominant}"].iloc[0]
    if task == "valence":
        return valence.resolve_mapping(mapping)[top], who, n_face, None
    return str(top), who, n_face, None


# -- golden evaluation ------------------------------------------------------------------
@dataclass(frozen=True)
class Evaluation:
    """The result of `score`: per-row predictions, metrics and the confusion matrix
    (`report.evaluation_io.save_evaluation` writes it)."""

    task: str
    rows: pd.DataFrame
    metrics: dict[str, Any]

    @property
    def confusion(self) -> pd.DataFrame:
        return confusion_frame(self.metrics)


def check_options(dominant: str = "vote", valence_by: str = "dominant", mapping: Any = "default"):
    """Refuse unknown `dominant` and `valence_by` values and invalid mappings, before any work.

    Raises:
        ParameterError: naming the value and the allowed ones.
    """
    _choice("dominant", dominant, DOMINANT)
    _choice("valence_by", valence_by, VALENCE_BY)
    valence.resolve_mapping(mapping)


def score(
    golden: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    task: str,
    *,
    dominant: str = "vote",
    mapping: Any = "default",
    valence_by: str = "dominant",
    margin: float = 0.1,
) -> Evaluation:
    """Score emotion tables against golden rows.

    Args:
        golden: the rows of `golden_rows`.
        tables: {clip stem: its emotion table}; a golden clip without a table gets "no
            analysis of this clip".
        task: "emotion" or "valence" (as `golden_rows` decided).
        dominant, mapping, valence_by, margin: see `predict_one`.

    Returns:
        An `Evaluation`; its `rows` add `predicted`, `person_used`, `n_face_frames` and
        `reason` (why there is no prediction) to the golden rows.
    """
    check_options(dominant, valence_by, mapping)
    predict = partial(
        predict_one,
        task=task,
        dominant=dominant,
        mapping=mapping,
        valence_by=valence_by,
        margin=margin,
    )
    results: list[tuple[str | None, float, int, str | None]] = []
    for row in golden.itertuples(index=False):
        if row.clip not in tables:
            results.append((None, row.person, 0, "no analysis of this clip"))
            continue
        results.append(predict(tables[row.clip], row.start_s, row.end_s, row.person))
    rows = golden.copy()
    cols = ["predicted", "person_used", "n_face_frames", "reason"]
    for i, col in enumerate(cols):
        rows[col] = [r[i] for r in results]
    rows["predicted"] = rows["predicted"].astype(pd.StringDtype(na_value=np.nan))
    classes = valence.VALENCE_CLASSES if task == "valence" else EMOTIONS
    metrics = classification_metrics(golden["label"], [r[0] for r in results], classes)
    missed = rows.loc[rows["reason"].notna(), ["line", "clip", "reason"]]
    metrics["task"] = task
    metrics["no_prediction"] = missed.to_dict(orient="records")
    if len(missed):
        log.warning("%d of %d golden rows have no prediction", len(missed), len(rows))
    return Evaluation(task=task, rows=rows, metrics=metrics)
