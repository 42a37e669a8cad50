"""The notebooks shipped with the package, found with `importlib.resources`.

The notebooks are edited and opened in the repository's `notebooks/`; the package reaches
them as its data folder `emohelpers/notebooks` (a link to `../notebooks` in the source tree,
a copy in a wheel), so a source checkout, an editable install and a wheel find them alike.
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
