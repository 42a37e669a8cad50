"""Text and notebooks without this machine's paths, for pages and files that are shared.

`strip_paths` cuts absolute paths to their last part (the folder's or file's name);
`write_shareable_notebook` writes a copy of an executed (or partial) notebook with its
injected parameters and outputs stripped that way, for the index to link instead of the
notebook papermill wrote (which holds the absolute `video` and `out_dir`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from emohelpers.core.atomic import atomic_write

#: An absolute path of two parts or more (not the "//host/..." of a URL); group 1: its name.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/])(?:/[^\s/'\":,;()\[\]]+)+/([^\s/'\":,;()\[\]]+)")


def strip_paths(text: str, paths: Iterable[str | Path] = (), any_path: bool = True) -> str:
    """`text` with machine paths cut to their names.

    Args:
        text: any text (an error message, a notebook cell, a traceback).
        paths: known paths, which may hold spaces or odd characters, replaced first (a
            path followed by "/" is dropped, so files below it keep their relative path).
        any_path: also cut any other absolute path of two parts or more to its last part
            (off for HTML, whose scripts and base64 data hold slashes that are no paths).

    Returns:
        The text.
    """
    known = {str(p) for p in paths if str(p) not in ("", ".", "/")}
    for p in sorted(known, key=len, reverse=True):
        text = text.replace(p + "/", "").replace(p, Path(p).name)
    return _ABSOLUTE_PATH.sub(r"\1", text) if any_path else text


def _strip_value(value, paths: list[str], any_path: bool = True):
    if isinstance(value, str):
        return strip_paths(value, paths, any_path)
    if isinstance(value, list):
        return [_strip_value(v, paths, any_path) for v in value]
    return value


def write_shareable_notebook(
    src: str | Path, dst: str | Path, paths: Iterable[str | Path] = ()
) -> Path:
    """Copy a notebook with every cell's source and text outputs path-stripped.

    Sources, streams, tracebacks and plain-text outputs lose every absolute path; HTML and
    Markdown outputs lose the known `paths`; images are kept as they are. Written through a
    temporary name.

    Args:
        src: the notebook papermill wrote.
        dst: the copy to write.
        paths: known paths to cut first (see `strip_paths`).

    Returns:
        `dst`.
    """
    import nbformat  # the report layer's notebook format; loaded only when a report runs

    known = [str(p) for p in paths]
    nb = nbformat.read(str(src), as_version=4)
    nb.metadata.pop("papermill", None)  # holds input_path, output_path and the parameters
    for cell in nb.cells:
        cell.source = strip_paths(cell.source, known)
        for out in cell.get("outputs", []):
            for key in ("text", "traceback", "evalue"):
                if key in out:
                    out[key] = _strip_value(out[key], known)
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in data:
                    data[mime] = _strip_value(data[mime], known, mime == "text/plain")
        cell.metadata.pop("papermill", None)
    return atomic_write(dst, lambda p: nbformat.write(nb, str(p)))
