"""The corpus report: `notebooks/corpus_report.ipynb` run by papermill, exported to
`DIR/corpus/index.html` (offline, like the clip reports). The notebook only calls the
`show_*` functions here; their figures come from `corpus.figures`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from emohelpers.core.atomic import atomic_write_json
from emohelpers.core.errors import AssetError, ParameterError
from emohelpers.corpus import dataset
from emohelpers.corpus import figures as cf

log = logging.getLogger(__name__)

NOTEBOOK_NAME = "corpus_report.ipynb"
REPORT_FILE = "index.html"
KEY_FIGURES_FILE = "key_figures.json"
MAX_GROUPS = 30


@dataclass(frozen=True)
class CorpusReportParameters:
    """The corpus notebook's parameters, checked.

    Attributes:
        out_dir: the corpus run's folder (holding `corpus/clips.parquet`).
        golden: a golden CSV (see `summaries.evaluate`) to score the corpus against; None.
        group_by: metadata columns to compare groups by; None: every metadata column with
            2 to 30 distinct values among finished clips.
        top_n: rows of the slowest-clips table.
    """

    out_dir: Path
    golden: Path | None = None
    group_by: tuple[str, ...] | None = None
    top_n: int = 10


def check_parameters(**params: Any) -> CorpusReportParameters:
    """Check the notebook's parameters; unknown names and bad values are refused.

    Raises:
        ParameterError: naming the parameter, its value and what is allowed.
    """
    allowed = ("out_dir", "golden", "group_by", "top_n")
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; allowed: {list(allowed)}")
    out_dir = params.get("out_dir") or "outputs/corpus"
    if not isinstance(out_dir, str | Path):
        raise ParameterError(f"parameter out_dir={out_dir!r}: expected a folder")
    golden = params.get("golden")
    if golden is not None and not Path(golden).is_file():
        raise ParameterError(f"parameter golden={golden!r}: no such file; give a golden CSV")
    group_by = params.get("group_by")
    if isinstance(group_by, str):
        group_by = [g.strip() for g in group_by.split(",") if g.strip()]
    if group_by is not None and not all(isinstance(g, str) for g in group_by):
        raise ParameterError(f"parameter group_by={group_by!r}: expected column names or None")
    top_n = params.get("top_n", 10)
    if not (isinstance(top_n, int) and not isinstance(top_n, bool) and top_n >= 1):
        raise ParameterError(f"parameter top_n={top_n!r}: expected an integer >= 1")
    return CorpusReportParameters(
        out_dir=Path(out_dir),
        golden=Path(golden) if golden else None,
        group_by=tuple(group_by) if group_by is not None else None,
        top_n=top_n,
    )


def metadata_columns(clips: pd.DataFrame) -> list[str]:
    """The manifest's metadata columns of a `clips.parquet` table."""
    return [c for c in clips.columns if c not in dataset.CLIP_DTYPES]


def group_columns(clips: pd.DataFrame, wanted: tuple[str, ...] | None = None) -> list[str]:
    """The metadata columns to compare groups by (see `CorpusReportParameters.group_by`).

    Raises:
        ParameterError: for a wanted column that is not a metadata column.
    """
    meta = metadata_columns(clips)
    if wanted is not None:
        missing = [c for c in wanted if c not in meta]
        if missing:
            raise ParameterError(f"group_by {missing}: not metadata columns; have {meta}")
        return list(wanted)
    done = clips.loc[clips["status"] == "ok"]
    return [c for c in meta if 2 <= done[c].nunique(dropna=True) <= MAX_GROUPS]


def load(params: CorpusReportParameters) -> pd.DataFrame:
    """`clips.parquet` of the run in `params.out_dir`."""
    return dataset.read_clips(params.out_dir)


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def _html_table(df: pd.DataFrame) -> None:
    from IPython.display import HTML

    _display(HTML(df.to_html(index=False, float_format="{:.2f}".format, border=0, na_rep="")))


def _note(text: str) -> None:
    from IPython.display import Markdown

    _display(Markdown(f"*{text}*"))


def show_overview(clips: pd.DataFrame) -> dict[str, int]:
    """Section 1: clips per status and totals; returns the counts."""
    _display(cf.status_figure(clips))
    done = clips.loc[clips["status"] == "ok"]
    counts = {
        "clips": len(clips),
        "ok": len(done),
        "skipped": int(done["skipped"].fillna(False).astype(bool).sum()),
        "failed": int((clips["status"] == "failed").sum()),
        "pending": int((clips["status"] == "pending").sum()),
    }
    hours = done["duration_s"].sum() / 3600
    frames = int(done["frames_analysed"].sum())
    _note(
        f"{counts['ok']} of {counts['clips']} clips finished: {hours:.2f} h of video, "
        f"{frames:,} frames analysed."
    )
    return counts


def show_distributions(clips: pd.DataFrame) -> None:
    """Section 2: dominant emotions, valence verdicts and face coverage across clips."""
    if not (clips["status"] == "ok").any():
        _note("No finished clip.")
        return
    for fig in (cf.dominant_figure(clips), cf.verdict_figure(clips), cf.coverage_figure(clips)):
        _display(fig)


def show_groups(clips: pd.DataFrame, params: CorpusReportParameters) -> list[str]:
    """Section 3: per metadata group, shares of dominant emotions; returns the columns."""
    columns = group_columns(clips, params.group_by)
    if not columns:
        _note(
            "No metadata column with 2 or more groups (give the clips a CSV manifest with "
            "columns such as speaker or debate_id)."
        )
    for column in columns:
        _display(cf.group_figure(clips, column))
    return columns


def show_slowest_and_failed(clips: pd.DataFrame, params: CorpusReportParameters) -> None:
    """Section 4: the slowest finished clips and every failed one with its reason."""
    done = clips.loc[clips["status"] == "ok"].sort_values("seconds", ascending=False)
    cols = ["clip", "seconds", "duration_s", "frames_analysed", "frames_per_s", "worker"]
    _html_table(done[cols].head(params.top_n))
    failed = clips.loc[clips["status"] != "ok", ["clip", "status", "error"]]
    if failed.empty:
        _note("No clip failed.")
    else:
        _html_table(failed)


def show_golden(params: CorpusReportParameters) -> dict[str, Any] | None:
    """Section 5 (with a golden CSV): accuracy, macro F1 and the confusion matrix over the
    corpus's analyses (`summaries.evaluate`); returns the metrics."""
    if params.golden is None:
        _note("No golden labels given (parameter golden / option --golden).")
        return None
    from emohelpers.summaries.evaluate import evaluate

    ev = evaluate(params.out_dir / dataset.CLIPS_DIR, params.golden)
    m = ev.metrics
    acc = "n/a" if m["accuracy"] is None else f"{m['accuracy']:.1%}"
    f1 = "n/a" if m["macro_f1"] is None else f"{m['macro_f1']:.3f}"
    _note(
        f"{m['n']} golden rows ({ev.task}): accuracy {acc}, macro F1 {f1}, "
        f"{m['n_no_prediction']} without a prediction."
    )
    _display(cf.confusion_figure(ev.confusion, title=f"Confusion over the corpus ({ev.task})"))
    return m


def record_key_figures(params: CorpusReportParameters, figures: Mapping[str, Any]) -> Path:
    """Write `corpus/key_figures.json` (what tests and scripts read)."""
    return atomic_write_json(params.out_dir / dataset.CORPUS_DIR / KEY_FIGURES_FILE, dict(figures))


def corpus_notebook() -> Path:
    """`notebooks/corpus_report.ipynb` of the source tree."""
    root = Path(__file__).resolve().parents[2]
    path = root / "notebooks" / NOTEBOOK_NAME
    if not path.is_file():
        raise AssetError(
            f"{NOTEBOOK_NAME}: not found in {root / 'notebooks'}; reinstall "
            "emohelpers from its source tree"
        )
    return path


def run_corpus_report(
    out_dir: str | Path, golden: str | Path | None = None, **parameters: Any
) -> Path:
    """Execute the corpus notebook and export `DIR/corpus/index.html`.

    Args:
        out_dir: the corpus run's folder.
        golden: a golden CSV to evaluate the corpus against.
        **parameters: further notebook parameters (`group_by`, `top_n`).

    Returns:
        The page's path.

    Raises:
        ParameterError: for bad parameters (before the notebook runs).
        papermill.PapermillExecutionError: when a cell fails (the notebook is kept).
    """
    import papermill as pm

    from emohelpers.report.html import export_report
    from emohelpers.report.run import kernel_name

    out = Path(out_dir).resolve()
    params = {
        "out_dir": str(out),
        "golden": str(Path(golden).resolve()) if golden else None,
        **parameters,
    }
    check_parameters(**params)
    folder = out / dataset.CORPUS_DIR
    notebook = folder / "report.ipynb"
    pm.execute_notebook(
        str(corpus_notebook()),
        str(notebook),
        parameters=params,
        kernel_name=kernel_name(),
        cwd=str(folder),
        progress_bar=False,
        log_output=False,
    )
    return export_report(notebook, folder / REPORT_FILE, title="Facial expressions: the corpus")
