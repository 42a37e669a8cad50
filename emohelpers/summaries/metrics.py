"""Classification metrics with numpy: accuracy, macro F1, per-class precision/recall/F1 and
the confusion matrix (no scikit-learn dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.core.errors import ParameterError

NO_PREDICTION = "no prediction"
_EPS = 1e-9


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


def metrics_fields(metrics: dict[str, Any]) -> dict[str, Any]:
    """The fields every accuracy report shows, from `classification_metrics`: n, accuracy,
    macro F1, recall per class (classes with golden items only), per-class scores and the
    confusion matrix."""
    return {
        "n": metrics["n"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "recall": {c: v["recall"] for c, v in metrics["per_class"].items() if v["support"]},
        "per_class": metrics["per_class"],
        "confusion": metrics["confusion"],
    }
