"""The lab's Jupyter pre-save hook: notebooks are saved without outputs, execution counts or
widget state, so that autosave never writes a user's results into the tracked notebooks.

`make lab` sets it as `ContentsManager.pre_save_hook` (`server.SAVE_OPTIONS`); every
notebook saved through that server is one of the folder it opens. Reports keep their
outputs: papermill writes them, not a server.
"""

from __future__ import annotations

from typing import Any

#: Notebook metadata that holds results rather than the notebook: ipywidgets' saved state.
RESULT_METADATA = ("widgets",)
#: Cell metadata that holds results: run timings (JupyterLab's "record timing", papermill).
RESULT_CELL_METADATA = ("execution", "papermill")


def strip_outputs(model: dict[str, Any], **_: Any) -> None:
    """Clear the outputs and execution counts of a notebook model about to be saved (in place).

    Args:
        model: the contents model the server saves (`type`, `content`, ...); models of other
            files are left as they are.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    notebook = model["content"]
    for key in RESULT_METADATA:
        notebook.get("metadata", {}).pop(key, None)
    for cell in notebook.get("cells", []):
        for key in RESULT_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
