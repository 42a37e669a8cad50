"""What a corpus report was made from, recorded beside it (`corpus/report_inputs.json`), so
that a rerun which changed nothing keeps the report instead of running its notebook again.

The inputs: the clips table's content (apart from whether a run skipped a clip or loaded a
model), the persons across clips (`corpus/persons.parquet`: names and `corpus_person`), the
report's parameters, the golden file's content and the notebook's. The record
is written, through `atomic_write`, only after the report succeeded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emohelpers.core.assets import sha256_file
from emohelpers.core.atomic import atomic_write
from emohelpers.corpus import dataset

INPUTS_FILE = "report_inputs.json"
#: Columns of `clips.parquet` that tell how a run went, not what the corpus holds.
RUN_COLUMNS = ("skipped", "model_loaded")


def report_inputs(out_dir: Path, params: Mapping[str, Any], notebook: Path) -> dict[str, Any]:
    """The report's inputs: {clips, persons, parameters, golden, notebook} (content
    hashes)."""
    clips = dataset.read_clips(out_dir).drop(columns=list(RUN_COLUMNS), errors="ignore")
    table = clips.to_json(orient="records", date_format="iso", default_handler=str)
    golden = params.get("golden")
    persons = Path(out_dir) / dataset.CORPUS_DIR / dataset.CORPUS_PERSONS_FILE
    return {
        "clips": hashlib.sha256(table.encode()).hexdigest(),
        "persons": sha256_file(persons) if persons.is_file() else None,
        "parameters": json.loads(json.dumps(dict(params), default=str)),
        "golden": sha256_file(Path(golden)) if golden else None,
        "notebook": sha256_file(notebook),
    }


def record(folder: Path, inputs: Mapping[str, Any]) -> Path:
    """Write `folder/report_inputs.json` (after the report succeeded)."""
    return atomic_write(folder / INPUTS_FILE, json.dumps(dict(inputs), indent=2) + "\n")


def unchanged(folder: Path, page: Path, inputs: Mapping[str, Any]) -> bool:
    """True when `page` exists and was made from exactly these inputs."""
    try:
        recorded = json.loads((folder / INPUTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return page.is_file() and recorded == json.loads(json.dumps(dict(inputs)))
