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
from emohelpers.core.errors import ParameterError
from emohelpers.core.notebooks import notebook_path, project_path
from emohelpers.core.spec import Setting, by_name, check_values
from emohelpers.corpus import clip_table, dataset, report_inputs, report_stats
from emohelpers.corpus import figures as cf
from emohelpers.report.evaluation_io import evaluate
from emohelpers.report.html import export_report

log = logging.getLogger(__name__)

NOTEBOOK_NAME = "corpus_report.ipynb"
REPORT_FILE = "index.html"
KEY_FIGURES_FILE = "key_figures.json"
MAX_GROUPS = 30


def _group_by(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [g.strip() for g in value.split(",") if g.strip()]
    if not (isinstance(value, list | tuple) and all(isinstance(g, str) for g in value)):
        raise ValueError("column names")
    return tuple(value)


def _column(value: Any) -> str | None:
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise ValueError("a column name")
    return value


def _golden(value: Any) -> Path | None:
    if value is None:
        return None
    if not (isinstance(value, str | Path) and Path(value).is_file()):
        raise ValueError("no such file")
    return Path(value)


#: The corpus notebook's parameters, declared once (its `parameters` cell shows them).
CORPUS_REPORT_SPEC: tuple[Setting, ...] = (
    Setting(
        "path",
        None,
        "the corpus run's folder (holding corpus/clips.parquet)",
        name="out_dir",
        none="outputs/corpus",
        cli=None,
    ),
    Setting(
        "value",
        None,
        "a golden CSV (clip, [start_s, end_s, person,] label) to score the corpus against",
        name="golden",
        parse=_golden,
        cli=None,
        allowed_text="an existing golden CSV file, or None: no scoring",
    ),
    Setting(
        "value",
        None,
        'metadata columns to compare, e.g. ["speaker"]',
        name="group_by",
        parse=_group_by,
        cli=None,
        allowed_text='a list of column names (or "a,b"), or None: every column with 2-30 groups',
    ),
    Setting("int", 10, "rows of the slowest-clips table", name="top_n", low=1, cli=None),
    Setting(
        "value",
        None,
        "the person key compared across clips (a column of the corpus dataset)",
        name="person_column",
        parse=_column,
        cli=None,
        allowed_text='a column name, or None: "name" or "corpus_person" where the dataset has one',
    ),
)


@dataclass(frozen=True)
class CorpusReportParameters:
    """The corpus notebook's parameters, checked (each one's meaning: `CORPUS_REPORT_SPEC`;
    `out_dir` None is `outputs/corpus`; a relative one is the project's, `project_path`)."""

    out_dir: Path
    golden: Path | None = None
    group_by: tuple[str, ...] | None = None
    top_n: int = by_name(CORPUS_REPORT_SPEC)["top_n"].default
    person_column: str | None = None


def check_parameters(**params: Any) -> CorpusReportParameters:
    """Check the notebook's parameters (`CORPUS_REPORT_SPEC`); unknown names and bad values
    are refused.

    Raises:
        ParameterError: naming the parameter, its value and what is allowed.
    """
    p = check_values(CORPUS_REPORT_SPEC, params)
    out_dir = project_path(p["out_dir"] or "outputs/corpus")  # as the README says
    return CorpusReportParameters(**{**p, "out_dir": out_dir})


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
    from IPython.display import display  # IPython only in the notebook's kernel

    display(obj)


def _html_table(df: pd.DataFrame) -> None:
    from IPython.display import HTML  # IPython only in the notebook's kernel

    _display(HTML(df.to_html(index=False, float_format="{:.2f}".format, border=0, na_rep="")))


def _html_raw(text: str) -> None:
    from IPython.display import HTML  # IPython only in the notebook's kernel

    _display(HTML(text))


def _note(text: str) -> None:
    from IPython.display import Markdown  # IPython only in the notebook's kernel

    _display(Markdown(f"*{text}*"))


def show_overview(clips: pd.DataFrame) -> dict[str, int]:
    """Section 1: clips per status and totals; returns the counts (`reused`: ran in this
    run from an analysis saved earlier; `skipped`: finished earlier, nothing redone)."""
    _display(cf.status_figure(clips))
    parts = cf.status_parts(clips)
    done = clips.loc[clips["status"] == "ok"]
    counts = {
        "clips": len(clips),
        "ok": len(done),
        "analysed": parts["analysed in this run"],
        "reused": parts["saved analysis reused"],
        "skipped": parts["finished earlier (skipped)"],
        "failed": parts["failed"],
        "pending": parts["not run (interrupted)"],
    }
    hours = done["duration_s"].sum() / 3600
    frames = int(done["frames_analysed"].sum())
    _note(
        f"{counts['ok']} of {counts['clips']} clips finished: {hours:.2f} h of video, "
        f"{frames:,} frames analysed; in this run {counts['analysed']} analysed, "
        f"{counts['reused']} from a saved analysis, {counts['skipped']} skipped."
    )
    return counts


def show_distributions(clips: pd.DataFrame) -> None:
    """Section 2: dominant emotions, valence verdicts and face coverage across clips."""
    done = clips.loc[clips["status"] == "ok"]
    if done.empty:
        _note("No finished clip.")
        return
    for fig in (cf.dominant_figure(clips), cf.verdict_figure(clips), cf.coverage_figure(clips)):
        _display(fig)
    unknown = int(done["face_coverage"].isna().sum())
    if unknown:
        _note(f"{unknown} finished clip(s) without analysed frames: no face coverage.")


def show_clip_table(clips: pd.DataFrame, params: CorpusReportParameters) -> int:
    """Section 3: every clip, one row each (sortable, filterable), its name linking its
    report where one exists; returns how many rows link a report."""
    key = report_stats.person_key(params.out_dir, params.person_column)
    units = report_stats.corpus_units(params.out_dir, key) if key else None
    rows = clip_table.clip_rows(clips, params.out_dir, units, key)
    _html_raw(clip_table.table_html(rows, caption="every clip of the run"))
    return int(rows["href"].notna().sum())


def show_groups(clips: pd.DataFrame, params: CorpusReportParameters) -> dict[str, Any]:
    """Section 4: per metadata group, shares of dominant emotions and mean valence with
    intervals, tests and effect sizes (`report_stats`); returns {column: p-values}, the
    columns in the order shown."""
    columns = group_columns(clips, params.group_by)
    if not columns:
        _note(
            "No metadata column with 2 or more groups (give the clips a CSV manifest with "
            "columns such as speaker or debate_id)."
        )
    return report_stats.show_groups(clips, columns)


def show_persons(clips: pd.DataFrame, params: CorpusReportParameters) -> dict[str, Any]:
    """Section 5: persons across clips (`report_stats.show_persons`)."""
    columns = group_columns(clips, params.group_by)
    return report_stats.show_persons(params.out_dir, clips, params.person_column, columns)


def slowest(clips: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The slowest analyses: finished clips by the analysis's own wall time, with its frames
    per second, both from the run that analysed the clip; `task_s` is the clip's task time
    in the run named by `ran` (this run, or an earlier one for a skipped clip)."""
    done = clips.loc[clips["status"] == "ok"]
    reused = done.get("reused", pd.Series(False, index=done.index)).fillna(False).astype(bool)
    skipped = done["skipped"].fillna(False).astype(bool)
    work = pd.Series("analysed", index=done.index).mask(reused, "saved analysis reused")
    out = pd.DataFrame(
        {
            "clip": done["clip"],
            "analysis_s": done["analysis_seconds"],
            "frames_analysed": done["frames_analysed"],
            "frames_per_s": done["frames_per_s"],
            "duration_s": done["duration_s"],
            "work": work,
            "ran": skipped.map({True: "an earlier run", False: "this run"}),
            "task_s": done["seconds"],
            "worker": done["worker"],
        }
    )
    return out.sort_values(["analysis_s", "task_s"], ascending=False).head(top_n)


def show_slowest_and_failed(clips: pd.DataFrame, params: CorpusReportParameters) -> None:
    """Section 6: the slowest finished clips and every failed one with its reason."""
    _html_table(slowest(clips, params.top_n))
    failed = clips.loc[clips["status"] != "ok", ["clip", "status", "error"]]
    if failed.empty:
        _note("No clip failed.")
    else:
        _html_table(failed)


def show_golden(params: CorpusReportParameters) -> dict[str, Any] | None:
    """Section 7 (with a golden CSV): accuracy, macro F1 and the confusion matrix over the
    corpus's analyses (`report.evaluation_io`); returns the metrics."""
    if params.golden is None:
        _note("No golden labels given (parameter golden / option --golden).")
        return None
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


def key_figures(
    counts: Mapping[str, int],
    groups: Mapping[str, Any],
    reports_linked: int,
    persons: Mapping[str, Any],
    golden: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The report's key figures from what its sections returned."""
    return {
        **counts,
        "groups": list(groups),
        "group_tests": dict(groups),
        "reports_linked": reports_linked,
        "person_key": persons["key"],
        "person_units": persons["units"],
        "accuracy": (golden or {}).get("accuracy"),
        "macro_f1": (golden or {}).get("macro_f1"),
    }


def record_key_figures(params: CorpusReportParameters, figures: Mapping[str, Any]) -> Path:
    """Write `corpus/key_figures.json` (what tests and scripts read) and show its figures as
    a table under the report's last heading."""
    shown = pd.DataFrame({"figure": list(figures), "value": [_shown(v) for v in figures.values()]})
    _html_table(shown)
    return atomic_write_json(params.out_dir / dataset.CORPUS_DIR / KEY_FIGURES_FILE, dict(figures))


def _shown(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items()) or "none"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def corpus_notebook() -> Path:
    """The corpus notebook, shipped with the package."""
    return notebook_path(NOTEBOOK_NAME)


def _report_params(out_dir: Path, golden: str | Path | None, parameters: Any) -> dict[str, Any]:
    params = {
        "out_dir": str(out_dir),
        "golden": str(Path(golden).resolve()) if golden else None,
        **parameters,
    }
    check_parameters(**params)
    return params


def kept_corpus_report(
    out_dir: str | Path, golden: str | Path | None = None, **parameters: Any
) -> Path | None:
    """`DIR/corpus/index.html` when it was made from the same clips table, parameters,
    golden file and notebook as a report made now would be (see `report_inputs`), else
    None; decided without a kernel."""
    out = Path(out_dir).resolve()
    params = _report_params(out, golden, parameters)
    folder = out / dataset.CORPUS_DIR
    page = folder / REPORT_FILE
    inputs = report_inputs.report_inputs(out, params, corpus_notebook())
    return page if report_inputs.unchanged(folder, page, inputs) else None


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
    import papermill as pm  # loads in ~1 s: only when a corpus report runs

    from emohelpers.report.kernel import KERNEL_LOG, kernel_options  # jupyter_client: same
    from emohelpers.report.run import kernel_name  # the report stack: only for a report

    out = Path(out_dir).resolve()
    params = _report_params(out, golden, parameters)
    folder = out / dataset.CORPUS_DIR
    inputs = report_inputs.report_inputs(out, params, corpus_notebook())
    (folder / report_inputs.INPUTS_FILE).unlink(missing_ok=True)  # until the new page is made
    notebook = folder / "report.ipynb"
    pm.execute_notebook(
        str(corpus_notebook()),
        str(notebook),
        parameters=params,
        kernel_name=kernel_name(),
        cwd=str(folder),
        progress_bar=False,
        log_output=False,
        **kernel_options(folder / KERNEL_LOG),  # its TCP warning in the log, not the terminal
    )
    page = export_report(notebook, folder / REPORT_FILE, title="Facial expressions: the corpus")
    report_inputs.record(folder, inputs)
    return page
