"""Reading a labelled folder `<folder>/<label>/<file>`: the files of one kind (face crops,
audio files) with their canonical emotion labels; shared by `evaluate_images` and
`evaluate_voice`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from emohelpers.core.emotions import EMOTIONS, canonical_label
from emohelpers.core.errors import SchemaError

log = logging.getLogger(__name__)


def list_labelled_files(
    folder: str | Path,
    extensions: Iterable[str],
    *,
    item: str,
    plural: str,
    skip_unknown: bool = False,
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The files of `folder/<label>/<file>` whose suffix is in `extensions`, with labels.

    Label folders are named after the seven emotions or their synonyms (see
    `core.emotions.canonical_label`); several folders may name one emotion. Hidden
    entries, loose files in `folder` and files with other suffixes are ignored.

    Args:
        folder: the labelled folder.
        extensions: lower-case suffixes with the dot, e.g. {".jpg", ".png"}.
        item: one file's name in messages, e.g. "image" (as in `<label>/<image>`).
        plural: the files' name in messages, e.g. "images" (as in "no images in ...").
        skip_unknown: skip unknown label folders (with a warning) instead of raising.

    Returns:
        ([(file path, emotion)] sorted by folder then file, names of the skipped unknown
        label folders).

    Raises:
        SchemaError: for a missing folder, an unknown label folder (unless `skip_unknown`)
            or no files at all.
    """
    exts = frozenset(extensions)
    root = Path(folder)
    if not root.is_dir():
        raise SchemaError(f"{root}: not a folder; expected {root}/<label>/<{item}>")
    items: list[tuple[Path, str]] = []
    skipped = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        label = canonical_label(sub.name)
        if label is None:
            if not skip_unknown:
                raise SchemaError(
                    f"{sub}: label folder {sub.name!r} is not one of {list(EMOTIONS)} or a "
                    "synonym; rename it, or skip it with --skip-unknown"
                )
            log.warning("%s: unknown label folder %r, skipped", sub, sub.name)
            skipped.append(sub.name)
            continue
        files = sorted(f for f in sub.iterdir() if f.suffix.lower() in exts)
        items += [(f, label) for f in files if not f.name.startswith(".")]
    if not items:
        raise SchemaError(f"{root}: no {plural} in {root}/<label>/ (extensions {sorted(exts)})")
    return items, skipped
