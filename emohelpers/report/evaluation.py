"""The evaluation notebook's logic: its parameters, checked, and what it shows.

`notebooks/evaluate.ipynb` scores saved analyses against a golden CSV with
`evaluation_io.evaluate` (the pure scoring: `summaries.evaluate`) and shows the headline
figures, per-class metrics, the confusion matrix and the golden rows that got no prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from emohelpers.core.errors import ParameterError
from emohelpers.figures.summary_figures import confusion_figure
from emohelpers.report import evaluation_io
from emohelpers.summaries import evaluate as ev
from emohelpers.summaries.metrics import per_class_frame

HEADLINE = (
    "task",
    "n",
    "n_predicted",
    "n_no_prediction",
    "accuracy",
    "accuracy_predicted",
    "macro_f1",
)


@dataclass(frozen=True)
class EvaluationParameters:
    """The evaluation notebook's parameters (see its `parameters` cell).

    Attributes:
        predictions: analysis folders, or folders holding them.
        golden_csv: the golden labels: clip, label[, start_s, end_s, person].
        out_dir: where metrics.json, confusion.csv and rows.csv go; None: nowhere.
        task: "auto" | "emotion" | "valence".
        dominant: "vote" | "mean".
        valence_mapping: "default" | "debate" (or a dict naming the seven).
        valence_by: "dominant" | "verdict".
        margin: verdict margin in [0, 1].
    """

    predictions: tuple[Path, ...]
    golden_csv: Path
    out_dir: Path | None = None
    task: str = "auto"
    dominant: str = "vote"
    valence_mapping: Any = "default"
    valence_by: str = "dominant"
    margin: float = 0.1


def check_evaluation_parameters(**params: Any) -> EvaluationParameters:
    """Check the notebook's parameters; unknown names are refused (values are checked by
    `evaluation_io.evaluate` when it runs).

    Raises:
        ParameterError: for an unknown name or a missing required one.
    """
    names = [f.name for f in fields(EvaluationParameters)]
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; allowed: {names}")
    for required in ("predictions", "golden_csv"):
        if not params.get(required):
            raise ParameterError(f"parameter {required}: missing; give a path")
    preds = params["predictions"]
    preds = [preds] if isinstance(preds, str | Path) else list(preds)
    out_dir = params.get("out_dir")
    return EvaluationParameters(
        **{
            **params,
            "predictions": tuple(Path(p) for p in preds),
            "golden_csv": Path(params["golden_csv"]),
            "out_dir": Path(out_dir) if out_dir else None,
            "margin": float(params.get("margin", 0.1)),
        }
    )


def run_evaluation(params: EvaluationParameters) -> ev.Evaluation:
    """Evaluate, and save the results into `params.out_dir` when one is given."""
    result = evaluation_io.evaluate(
        list(params.predictions),
        params.golden_csv,
        task=params.task,
        dominant=params.dominant,
        mapping=params.valence_mapping,
        valence_by=params.valence_by,
        margin=params.margin,
    )
    if params.out_dir:
        evaluation_io.save_evaluation(result, params.out_dir)
    return result


def show_evaluation(result: ev.Evaluation) -> dict[str, Any]:
    """Display the headline figures, per-class metrics, the confusion matrix and the golden
    rows without a prediction; return the headline figures."""
    m = result.metrics
    display(pd.DataFrame({"value": [m[k] for k in HEADLINE]}, index=list(HEADLINE)))
    display(per_class_frame(m).round(3))
    display(confusion_figure(result.confusion, normalize=True))
    missing = result.rows[result.rows["reason"].notna()]
    if len(missing):
        display(Markdown(f"**{len(missing)} golden row(s) without a prediction:**"))
        display(missing)
    else:
        display(Markdown("Every golden row has a prediction."))
    return {k: m[k] for k in HEADLINE}
