"""Evaluation's files: the golden CSV read, the analyses found and loaded, the results written.

The matching and the metrics are pure (`summaries.evaluate`); this module does the file work
around them for `emohelpers evaluate`, the evaluation notebook and the corpus report. Reading
a golden CSV needs no model code: torch is never imported here.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from emohelpers.analysis.table import PROVENANCE_FILE, TABLE_FILE, Analysis
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import SchemaError
from emohelpers.core.settings import AnalysisSettings
from emohelpers.summaries.evaluate import Evaluation, check_options, golden_rows, score
from emohelpers.summaries.metrics import confusion_frame
from emohelpers.summaries.readable import readable

#: The files `save_evaluation` writes.
METRICS_FILE, CONFUSION_FILE, ROWS_FILE = "metrics.json", "confusion.csv", "rows.csv"


def read_golden(path: str | Path, task: str = "auto") -> tuple[pd.DataFrame, str]:
    """Read and check a golden CSV (format: `summaries.evaluate`).

    Args:
        path: the CSV file (UTF-8, a byte-order mark is allowed).
        task: "emotion", "valence" or "auto" (see `summaries.evaluate.golden_rows`).

    Returns:
        (rows, task), as `golden_rows`.

    Raises:
        SchemaError: naming the file, the line and the problem.
        ParameterError: for an unknown task.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            raw = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SchemaError(f"{path}: cannot read the golden CSV ({exc})") from exc
    return golden_rows(header, raw, str(path), task)


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


def evaluate(
    predictions: str | Path | Iterable[str | Path],
    golden_csv: str | Path,
    *,
    task: str = "auto",
    dominant: str = "vote",
    mapping: Any = "default",
    valence_by: str = "dominant",
    margin: float = 0.1,
    min_quality: float | None = None,
) -> Evaluation:
    """Score saved analyses against a golden CSV.

    Args:
        predictions: analysis folder(s), or folders holding them (see `find_predictions`).
        golden_csv: the golden CSV.
        task, dominant, mapping, valence_by, margin: see `summaries.evaluate.score`.
        min_quality: faces below it are in no prediction (`summaries.readable`); default
            the analysis setting's default.

    Returns:
        The `Evaluation` of `summaries.evaluate.score`; only the clips the golden rows name
        are loaded.
    """
    check_options(dominant, valence_by, mapping)
    golden, task = read_golden(golden_csv, task)
    if isinstance(predictions, str | Path):
        predictions = [predictions]
    found = find_predictions(predictions)
    if min_quality is None:
        min_quality = AnalysisSettings().min_quality
    tables = {
        c: readable(Analysis.load(found[c]).table, min_quality)
        for c in dict.fromkeys(golden["clip"])
        if c in found
    }
    return score(
        golden,
        tables,
        task,
        dominant=dominant,
        mapping=mapping,
        valence_by=valence_by,
        margin=margin,
    )


def save_metrics(metrics: dict[str, Any], out_dir: str | Path) -> Path:
    """Write `metrics.json` and `confusion.csv` of a metrics dict (`classification_metrics`,
    also of `evaluate_images`) into `out_dir`; returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    atomic_write(out / CONFUSION_FILE, confusion_frame(metrics).to_csv())
    return out


def save_evaluation(result: Evaluation, out_dir: str | Path) -> Path:
    """Write metrics.json, confusion.csv and rows.csv (one per golden row) into `out_dir`;
    returns the folder."""
    out = save_metrics(result.metrics, out_dir)
    atomic_write(out / ROWS_FILE, result.rows.to_csv(index=False))
    return out
