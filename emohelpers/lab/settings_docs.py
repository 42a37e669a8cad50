"""The settings' declarations written out where people read them: each notebook's
`parameters` cell and the README's settings tables, generated from the `core.spec.Setting`s
(`tools/sync_settings_docs.py` writes them, as Jupyter lays a notebook out; tests check
that they are current).

A notebook chooses which of its declared parameters its cell shows, and in what order;
each line is then `name = default  # help: allowed`, as the declaration says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from emohelpers.core.atomic import atomic_write
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.spec import Setting, by_name, markdown_table, replace_between_markers
from emohelpers.corpus.report import CORPUS_REPORT_SPEC
from emohelpers.lab.demo_corpus import CORPUS_SPEC
from emohelpers.report.evaluation import EVALUATION_SPEC
from emohelpers.report.parameters import REPORT_SPEC, parameter_specs

#: Each notebook's declared parameters (what its checker accepts).
NOTEBOOK_SPECS: dict[str, tuple[Setting, ...]] = {
    "clip_report.ipynb": parameter_specs(),
    "explore.ipynb": parameter_specs(),
    "corpus_report.ipynb": CORPUS_REPORT_SPEC,
    "evaluate.ipynb": EVALUATION_SPEC,
    "corpus_explore.ipynb": CORPUS_SPEC,
}

#: The README's generated tables: marker name -> the settings it lists.
README_TABLES: dict[str, tuple[Setting, ...]] = {
    "settings-table": AnalysisSettings.spec(),
    "report-parameters-table": REPORT_SPEC,
}

_LINE = re.compile(r"^(\w+) = ")


def parameters_cell(notebook: str, names: list[str]) -> str:
    """The `parameters` cell of `notebook` showing the parameters `names`, in that order.

    Raises:
        KeyError: for a name the notebook does not declare.
    """
    specs = by_name(NOTEBOOK_SPECS[notebook])
    return "\n".join(specs[name].notebook_line() for name in names)


def cell_names(source: str) -> list[str]:
    """The parameter names a `parameters` cell assigns, in order."""
    return [m.group(1) for line in source.splitlines() if (m := _LINE.match(line))]


def _tagged(nb: dict[str, Any]) -> dict[str, Any]:
    (cell,) = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    return cell


def parameters_source(path: Path) -> str:
    """The source of the one cell tagged `parameters` of the notebook at `path`."""
    return "".join(_tagged(json.loads(path.read_text()))["source"])


def sync_notebook(path: Path) -> bool:
    """Rewrite the `parameters` cell of the notebook at `path` from the declarations (the
    rest of the file byte for byte as it was); whether it changed."""
    nb = json.loads(path.read_text())
    cell = _tagged(nb)
    new = parameters_cell(path.name, cell_names("".join(cell["source"])))
    if new == "".join(cell["source"]):
        return False
    cell["source"] = new.splitlines(keepends=True)
    atomic_write(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


def readme_text(text: str) -> str:
    """`text` (the README) with each generated table replaced by the current one."""
    for marker, specs in README_TABLES.items():
        text = replace_between_markers(text, marker, markdown_table(specs))
    return text
