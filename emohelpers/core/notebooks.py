"""The notebooks shipped with the package, found with `importlib.resources`.

The notebooks are edited and opened in the repository's `notebooks/`; the package reaches
them as its data folder `emohelpers/notebooks` (a link to `../notebooks` in the source tree,
a copy in a wheel), so a source checkout, an editable install and a wheel find them alike.

`project_path` places the notebooks' relative output folders (`outputs/<video stem>`,
`outputs/corpus`, ...) in the project, where the README says, wherever the kernel runs:
JupyterLab starts it in `notebooks/`, papermill and `make` in the repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from emohelpers.core.errors import AssetError


def notebooks_dir() -> Path:
    """The package's notebooks folder, links resolved (`notebooks/` in a source tree)."""
    # Installed from a folder (wheel, editable, source tree), the package's files are real
    # files: papermill, nbconvert and JupyterLab need paths, not a Traversable.
    return Path(str(files("emohelpers") / "notebooks")).resolve()


def project_dir() -> Path:
    """The project's folder: the repository holding `notebooks/` in a source tree (or an
    editable install), else the working folder (an installed wheel has no project)."""
    root = notebooks_dir().parent
    return root if (root / "pyproject.toml").is_file() else Path.cwd()


def project_path(path: str | Path) -> Path:
    """`path`, a relative one taken from the project's folder (`project_dir`)."""
    path = Path(path)
    return path if path.is_absolute() else project_dir() / path


def notebook_path(name: str) -> Path:
    """The path of one shipped notebook, e.g. `notebook_path("clip_report.ipynb")`.

    Raises:
        AssetError: when the installed package lacks it.
    """
    path = notebooks_dir() / name
    if not path.is_file():
        raise AssetError(
            f"{name}: not found in the package's notebooks ({path.parent}); reinstall "
            "emohelpers (pip install .) or run it from its source tree"
        )
    return path
