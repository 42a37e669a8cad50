"""The declarations written out: the README's settings tables and every notebook's
`parameters` cell are what `lab.settings_docs` makes from the `Setting`s."""

from __future__ import annotations

from pathlib import Path

import pytest

from emohelpers.core.spec import between_markers, by_name, markdown_table
from emohelpers.lab.settings_docs import (
    NOTEBOOK_SPECS,
    README_TABLES,
    cell_names,
    parameters_cell,
    parameters_source,
    readme_text,
)

ROOT = Path(__file__).resolve().parents[1]
FIX = "run `python tools/sync_settings_docs.py`"


@pytest.mark.parametrize("marker", list(README_TABLES))
def test_readme_tables_are_the_generated_ones(marker):
    readme = (ROOT / "README.md").read_text()
    assert between_markers(readme, marker) == markdown_table(README_TABLES[marker]), FIX
    assert readme_text(readme) == readme


def test_every_notebook_is_declared():
    assert sorted(NOTEBOOK_SPECS) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("name", list(NOTEBOOK_SPECS))
def test_parameters_cells_say_what_the_declarations_say(name):
    """Each line: `name = default  # help: allowed` of its declared parameter."""
    source = parameters_source(ROOT / "notebooks" / name)
    names = cell_names(source)
    assert len(names) == len(source.splitlines()) and len(set(names)) == len(names)
    assert set(names) <= set(by_name(NOTEBOOK_SPECS[name])), "undeclared parameters"
    assert source == parameters_cell(name, names), FIX


def test_the_clip_report_cell_says_every_n_is_none():
    """The every_n/fps rule: the cell's every_n is None, so an injected fps alone is fine and
    an explicit every_n with it an error (the checker's)."""
    source = parameters_source(ROOT / "notebooks" / "clip_report.ipynb")
    assert "\nevery_n = None  # " in source and "\nfps = None  # " in source
    assert "'reels'" in source  # the sections comment lists every section


def test_the_report_notebook_tags_one_cell_group_per_declared_section():
    """The sections have one home (`report.parameters.SECTIONS`): the notebook's
    `section-<name>` tags (which the HTML export filters) name exactly those, in page order."""
    import json

    from emohelpers.report.parameters import SECTIONS

    nb = json.loads((ROOT / "notebooks" / "clip_report.ipynb").read_text())
    tags = [
        t[len("section-") :]
        for c in nb["cells"]
        for t in c["metadata"].get("tags", [])
        if t.startswith("section-")
    ]
    assert list(dict.fromkeys(tags)) == list(SECTIONS)
