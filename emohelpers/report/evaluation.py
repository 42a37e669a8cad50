"""The evaluation notebook's logic: its parameters, checked, and what it shows.

`notebooks/evaluate.ipynb` scores saved analyses against a golden CSV with
`evaluation_io.evaluate` (the pure scoring: `summaries.evaluate`) and shows the headline
figures, per-class metrics, the confusion matrix and the golden rows that got no prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from emohelpers.core.notebooks import project_path
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.spec import Setting, by_name, check_values
from emohelpers.figures.summary_figures import confusion_figure
from emohelpers.report import evaluation_io
from emohelpers.summaries import evaluate as ev
from emohelpers.summaries.metrics import per_class_frame
from emohelpers.summaries.valence import VALENCE_PRESETS

HEADLINE = (
    "task",
    "n",
    "n_predicted",
    "n_no_prediction",
    "accuracy",
    "accuracy_predicted",
    "macro_f1",
)


def _paths(value: Any) -> tuple[Path, ...]:
    values = [value] if isinstance(value, str | Path) else value
    if not (isinstance(values, list | tuple) and values):
        raise ValueError("paths")
    if not all(isinstance(v, str | Path) and str(v) for v in values):
        raise ValueError("paths")
    return tuple(Path(v) for v in values)


def _mapping(value: Any) -> Any:
    if not (value in VALENCE_PRESETS or isinstance(value, dict)):
        raise ValueError("a preset or a dict")
    return value


#: The evaluation notebook's parameters, declared once (its `parameters` cell shows them).
EVALUATION_SPEC: tuple[Setting, ...] = (
    Setting(
        "value",
        "outputs",
        "analysis folder(s), or folders holding them",
        name="predictions",
        parse=_paths,
        allowed_text="a path or a list of paths",
    ),
    Setting(
        "path",
        "golden.csv",
        "the golden labels: clip, label[, start_s, end_s, person]",
        name="golden_csv",
    ),
    Setting(
        "path",
        "outputs/evaluation",
        "where metrics.json, confusion.csv and rows.csv go",
        name="out_dir",
        none="write nothing",
    ),
    Setting("choice", "auto", "the kind of golden labels", name="task", choices=ev.TASKS),
    Setting(
        "choice",
        "vote",
        "dominant emotion by argmax count or mean probability",
        name="dominant",
        choices=ev.DOMINANT,
    ),
    Setting(
        "value",
        "default",
        "emotion -> valence preset, for valence labels",
        name="valence_mapping",
        parse=_mapping,
        allowed_text=f"one of {list(VALENCE_PRESETS)}, or a dict naming the seven",
    ),
    Setting(
        "choice",
        "dominant",
        "valence of the dominant emotion, or the verdict",
        name="valence_by",
        choices=ev.VALENCE_BY,
    ),
    Setting(
        "float",
        0.1,
        'verdict margin (used when valence_by is "verdict")',
        name="margin",
        low=0,
        high=1,
    ),
    # The analysis setting itself: faces below it are in no prediction.
    by_name(AnalysisSettings.spec())["min_quality"],
)
_SPEC = by_name(EVALUATION_SPEC)


@dataclass(frozen=True)
class EvaluationParameters:
    """The evaluation notebook's parameters, checked (their meaning: `EVALUATION_SPEC`)."""

    predictions: tuple[Path, ...]
    golden_csv: Path
    out_dir: Path | None = None
    task: str = _SPEC["task"].default
    dominant: str = _SPEC["dominant"].default
    valence_mapping: Any = _SPEC["valence_mapping"].default
    valence_by: str = _SPEC["valence_by"].default
    margin: float = _SPEC["margin"].default
    min_quality: float = _SPEC["min_quality"].default


def check_evaluation_parameters(**params: Any) -> EvaluationParameters:
    """Check the notebook's parameters (`EVALUATION_SPEC`); unknown names and bad values
    are refused.

    Raises:
        ParameterError: for an unknown name or a bad value, naming what is allowed.
    """
    p = check_values(EVALUATION_SPEC, params)
    # Relative folders are the project's, wherever the kernel runs (`project_path`).
    p["predictions"] = tuple(project_path(f) for f in p["predictions"])
    p["out_dir"] = None if p["out_dir"] is None else project_path(p["out_dir"])
    return EvaluationParameters(**p)


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
        min_quality=params.min_quality,
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
