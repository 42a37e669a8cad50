"""The notebooks: committed without outputs, and the exploration notebook runs headless."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.conftest import REPORT_CLIP

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def tracked_notebooks() -> list[Path]:
    """Notebooks under notebooks/ that git tracks (all of them outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "*.ipynb"],
            cwd=NOTEBOOKS,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        return [NOTEBOOKS / name for name in out]
    except (OSError, subprocess.CalledProcessError):
        return sorted(NOTEBOOKS.glob("*.ipynb"))


def logic_lines(source: str) -> list[str]:
    """A cell's lines that do something: not blank, not a comment, not an import."""
    lines = [ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    body, in_import = [], False
    for ln in lines:
        if ln.startswith(("import ", "from ")) or in_import:
            in_import = ln.rstrip().endswith("(") or (in_import and not ln.startswith(")"))
            continue
        body.append(ln)
    return body


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: p.name)
def test_notebook_is_thin_and_parameterised(path):
    """Every notebook: a title, one parameters cell checked by the package (papermill only
    warns about unknown parameters), and cells of a few calls: the logic is in the package."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert nb.metadata.kernelspec.name == "emohelpers"  # tools/setup.sh registers it
    code = [c.source for c in nb.cells if c.cell_type == "code" and c not in tagged]
    assert any("notebook_parameters(globals()" in s and "check_" in s for s in code), path.name
    for source in code:
        assert len(logic_lines(source)) <= 4, source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a\nfrom b import (\n    c,\n)\n\nx = 1  # one\n# note\ny = f(x)", 2),
        ("from a import b\nb()", 1),
    ],
)
def test_logic_lines(source, expected):
    assert len(logic_lines(source)) == expected


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: p.name)
def test_notebooks_in_git_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (path.name, cell.source)


@pytest.mark.notebooks
@pytest.mark.slow
def test_explore_executes_headless(tmp_path, sample_dir):
    import papermill as pm

    from emohelpers.report.run import kernel_name

    out = tmp_path / "explore.ipynb"
    params = {
        "video": str(sample_dir / REPORT_CLIP),
        "out_dir": str(tmp_path / "analysis"),
        "model": "mini-xception",
        "every_n": 8,
    }
    kernel = kernel_name()
    pm.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"),
        str(out),
        params,
        kernel_name=kernel,
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = nbformat.read(out, as_version=4)
    mimes = {
        m for c in nb.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})
    }
    assert "application/vnd.jupyter.widget-view+json" in mimes
    assert "application/vnd.plotly.v1+json" in mimes and "text/html" in mimes
    assert (tmp_path / "analysis" / "emotions.parquet").is_file()
