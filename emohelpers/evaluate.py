"""Evaluation: predictions against golden labels, and a classifier on a labelled image folder.

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

import csv
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError
from tqdm.auto import tqdm

from . import summary, valence
from .errors import ParameterError, SchemaError
from .table import EMOTIONS, PROVENANCE_FILE, TABLE_FILE, Analysis

log = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("auto", "emotion", "valence")
DOMINANT: tuple[str, ...] = ("vote", "mean")
VALENCE_BY: tuple[str, ...] = ("dominant", "verdict")
NO_PREDICTION = "no prediction"
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
_EPS = 1e-9


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r}: unknown; allowed values are {list(allowed)}")
    return value


# -- golden labels -----------------------------------------------------------------------
def read_golden(path: str | Path, task: str = "auto") -> tuple[pd.DataFrame, str]:
    """Read and check a golden CSV (format in the module docs).

    Args:
        path: the CSV file.
        task: "emotion", "valence" or "auto" (valence when every label is a valence class and
            one is positive or negative, else emotion).

    Returns:
        (rows, task): rows with `line` (line number in the file), `clip`, `start_s`, `end_s`,
        `person` (NaN when not given) and `label` (canonical spelling).

    Raises:
        SchemaError: naming the file, the line and the problem.
        ParameterError: for an unknown task.
    """
    from .classifiers.labels import canonical_label  # the classifiers package loads torch

    _choice("task", task, TASKS)
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            raw = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SchemaError(f"{path}: cannot read the golden CSV ({exc})") from exc
    missing = [c for c in ("clip", "label") if c not in header]
    if missing:
        raise SchemaError(f"{path}, line 1: missing columns {missing}; the header is {header}")
    if not raw:
        raise SchemaError(f"{path}: no golden rows after the header")

    def number(line: int, row: dict, col: str) -> float:
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
def find_predictions(folders: Iterable[str | Path]) -> dict[str, Path]:
    """Map clip stems to analysis folders.

    Args:
        folders: analysis folders (holding `emotions.parquet` and `provenance.json`), or
            folders searched recursively for them.

    Returns:
        {stem of the provenance's `video.path`: analysis folder}.

    Raises:
        SchemaError: for a folder without analyses, a provenance without `video.path`, or
            two analyses of clips with the same stem.
    """
    found: dict[str, Path] = {}
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise SchemaError(f"{folder}: not a folder of analyses (emotions.parquet)")
        tables = [folder / TABLE_FILE] if (folder / TABLE_FILE).is_file() else []
        tables = tables or sorted(folder.rglob(TABLE_FILE))
        if not tables:
            raise SchemaError(
                f"{folder}: no {TABLE_FILE} in or under it; run `emohelpers analyze` first"
            )
        for table in tables:
            prov = table.parent / PROVENANCE_FILE
            try:
                stem = Path(json.loads(prov.read_text())["video"]["path"]).stem
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise SchemaError(
                    f"{prov}: cannot read video.path ({type(exc).__name__}: {exc}); it names "
                    "the clip that golden rows refer to"
                ) from exc
            if stem in found and found[stem] != table.parent:
                raise SchemaError(
                    f"clip {stem!r} is analysed twice: {found[stem]} and {table.parent}; "
                    "pass only one of them"
                )
            found[stem] = table.parent
    return found


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


# -- metrics ----------------------------------------------------------------------------
def classification_metrics(
    golden: Sequence[str], predicted: Sequence[str | None], classes: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro F1, per-class precision/recall/F1 and the confusion matrix.

    A None prediction is "no prediction": wrong in `accuracy` and a miss in recall, absent
    from precision. Precision, recall or F1 with a zero denominator are 0. The macro F1
    averages the classes that occur among golden labels or predictions.

    Args:
        golden: n golden labels, each in `classes`.
        predicted: n predictions, each in `classes` or None.
        classes: the label set, in report order.

    Returns:
        JSON-ready dict: n, n_predicted, n_no_prediction, accuracy, accuracy_predicted
        (None without predictions), macro_f1, classes, per_class {class: {precision,
        recall, f1, support}}, confusion {rows, columns (classes + "no prediction"), matrix}.
    """
    classes = list(classes)
    cols = [*classes, NO_PREDICTION]
    index = {c: i for i, c in enumerate(cols)}
    if len(golden) != len(predicted):
        raise ParameterError(f"golden has {len(golden)} labels but predicted {len(predicted)}")
    for label in [*golden, *(p for p in predicted if p is not None)]:
        if label not in index or label == NO_PREDICTION:
            raise ParameterError(f"label {label!r}: not one of the classes {classes}")
    g = np.array([index[x] for x in golden], dtype=np.int64)
    p = np.array([index[NO_PREDICTION if x is None else x] for x in predicted], dtype=np.int64)
    cm = np.zeros((len(classes), len(cols)), dtype=np.int64)
    np.add.at(cm, (g, p), 1)
    tp = np.diag(cm[:, : len(classes)]).astype(np.float64)
    support, n_pred = cm.sum(axis=1), cm[:, : len(classes)].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(tp / n_pred)
        recall = np.nan_to_num(tp / support)
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    present = (support > 0) | (n_pred > 0)
    per_class = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support}, index=classes
    )
    n, n_predicted = len(g), int((p != index[NO_PREDICTION]).sum())
    return {
        "n": n,
        "n_predicted": n_predicted,
        "n_no_prediction": n - n_predicted,
        "accuracy": float(tp.sum() / n) if n else None,
        "accuracy_predicted": float(tp.sum() / n_predicted) if n_predicted else None,
        "macro_f1": float(f1[present].mean()) if present.any() else None,
        "classes": classes,
        "per_class": per_class.to_dict(orient="index"),
        "confusion": {"rows": classes, "columns": cols, "matrix": cm.tolist()},
    }


def confusion_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """The confusion matrix of `classification_metrics` as a DataFrame (golden x predicted)."""
    c = metrics["confusion"]
    frame = pd.DataFrame(c["matrix"], index=c["rows"], columns=c["columns"])
    frame.index.name, frame.columns.name = "golden", "predicted"
    return frame


def per_class_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support as a DataFrame (one row per class)."""
    frame = pd.DataFrame.from_dict(metrics["per_class"], orient="index")
    frame.index.name = "class"
    return frame


# -- golden evaluation ------------------------------------------------------------------
@dataclass(frozen=True)
class Evaluation:
    """The result of `evaluate`: per-row predictions, metrics and the confusion matrix."""

    task: str
    rows: pd.DataFrame
    metrics: dict[str, Any]

    @property
    def confusion(self) -> pd.DataFrame:
        return confusion_frame(self.metrics)

    def save(self, out_dir: str | Path) -> Path:
        """Write metrics.json, confusion.csv and rows.csv (one per golden row) into out_dir."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(self.metrics, indent=2) + "\n")
        self.confusion.to_csv(out / "confusion.csv")
        self.rows.to_csv(out / "rows.csv", index=False)
        return out


def evaluate(
    predictions: str | Path | Iterable[str | Path],
    golden_csv: str | Path,
    *,
    task: str = "auto",
    dominant: str = "vote",
    mapping: Any = "default",
    valence_by: str = "dominant",
    margin: float = 0.1,
) -> Evaluation:
    """Score analyses against a golden CSV.

    Args:
        predictions: analysis folder(s), or folders holding them (see `find_predictions`).
        golden_csv: the golden CSV (see the module docs).
        task, dominant, mapping, valence_by, margin: see `read_golden` and `predict_one`.

    Returns:
        An `Evaluation`; its `rows` add `predicted`, `person_used`, `n_face_frames` and
        `reason` (why there is no prediction) to the golden rows.
    """
    _choice("dominant", dominant, DOMINANT)
    _choice("valence_by", valence_by, VALENCE_BY)
    valence.resolve_mapping(mapping)
    golden, task = read_golden(golden_csv, task)
    if isinstance(predictions, str | Path):
        predictions = [predictions]
    found = find_predictions(predictions)
    predict = partial(
        predict_one, task=task, dominant=dominant, mapping=mapping, valence_by=valence_by,
        margin=margin,
    )  # fmt: skip
    tables: dict[str, pd.DataFrame] = {}
    results = []
    for row in golden.itertuples(index=False):
        if row.clip not in found:
            results.append((None, row.person, 0, "no analysis of this clip"))
            continue
        if row.clip not in tables:
            tables[row.clip] = Analysis.load(found[row.clip]).table
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


# -- classifier on a labelled image folder ----------------------------------------------
def list_labelled_images(
    folder: str | Path, skip_unknown: bool = False
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The images of `folder/<label>/<image>` with their canonical labels.

    Label folders are named after the seven emotions or their synonyms (see
    `classifiers.labels.canonical_label`); several folders may name one emotion. Hidden
    entries, loose files in `folder` and files that are not images are ignored.

    Returns:
        ([(image path, emotion)], names of the skipped unknown label folders).

    Raises:
        SchemaError: for a missing folder, an unknown label folder (unless `skip_unknown`:
            then skipped with a warning) or no images at all.
    """
    from .classifiers.labels import canonical_label  # the classifiers package loads torch

    root = Path(folder)
    if not root.is_dir():
        raise SchemaError(f"{root}: not a folder; expected {root}/<label>/<image>")
    items: list[tuple[Path, str]] = []
    skipped = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        label = canonical_label(sub.name)
        if label is None:
            if not skip_unknown:
                raise SchemaError(
                    f"{sub}: label folder {sub.name!r} is not one of {list(EMOTIONS)} or a "
                    "synonym; rename it, or skip it with --skip-unknown"
                )
            log.warning("%s: unknown label folder %r, skipped", sub, sub.name)
            skipped.append(sub.name)
            continue
        files = sorted(f for f in sub.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        items += [(f, label) for f in files if not f.name.startswith(".")]
    if not items:
        exts = sorted(IMAGE_EXTENSIONS)
        raise SchemaError(f"{root}: no images in {root}/<label>/ (extensions {exts})")
    return items, skipped


def evaluate_images(
    folder: str | Path, classifier: Any, *, skip_unknown: bool = False, chunk: int = 256
) -> dict[str, Any]:
    """Accuracy of a classifier on already-cropped faces in `folder/<label>/<image>`.

    The images go through the classifier's own `predict` as RGB PIL images, the same
    preprocessing as video analysis. The folder is read by `list_labelled_images`.

    Args:
        folder: the labelled folder.
        classifier: a `classifiers.base.Classifier` (anything with `predict(list of PIL)`
            returning (N, 7) probabilities in `EMOTIONS` order, and `name`).
        skip_unknown: skip label folders with unknown names (with a warning) instead of
            raising.
        chunk: images loaded and predicted at a time.

    Returns:
        JSON-ready dict: folder, classifier, n, accuracy, macro_f1, recall {label: recall},
        per_class, confusion (as in `classification_metrics`), skipped (folder names).

    Raises:
        SchemaError: see `list_labelled_images`; also for an unreadable image or a
            classifier output of the wrong shape.
    """
    root = Path(folder)
    items, skipped = list_labelled_images(root, skip_unknown)
    predicted: list[str] = []
    for start in tqdm(range(0, len(items), chunk), desc="evaluate-images", unit="chunk"):
        batch = items[start : start + chunk]
        images = []
        for path, _ in batch:
            try:
                with Image.open(path) as im:
                    images.append(im.convert("RGB"))
            except (OSError, UnidentifiedImageError) as exc:
                raise SchemaError(f"{path}: cannot read the image ({exc})") from exc
        probs = np.asarray(classifier.predict(images))
        if probs.shape != (len(images), len(EMOTIONS)):
            raise SchemaError(
                f"classifier {getattr(classifier, 'name', '?')}: predict returned shape "
                f"{probs.shape}, expected ({len(images)}, {len(EMOTIONS)})"
            )
        predicted += [EMOTIONS[i] for i in probs.argmax(axis=1)]
    metrics = classification_metrics([lbl for _, lbl in items], predicted, EMOTIONS)
    return {
        "folder": str(root),
        "classifier": getattr(classifier, "name", type(classifier).__name__),
        "n": metrics["n"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "recall": {c: v["recall"] for c, v in metrics["per_class"].items() if v["support"]},
        "per_class": metrics["per_class"],
        "confusion": metrics["confusion"],
        "skipped": skipped,
    }
