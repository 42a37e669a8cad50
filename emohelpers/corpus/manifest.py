"""Which clips a corpus run covers: video files, folders (recursively) and CSV manifests.

A CSV manifest has a `video` column (paths relative to the CSV's folder, or absolute); its
other columns are kept as the clip's metadata (strings; empty cells are None) and become
columns of the corpus dataset. How each problem is handled:

- a path given on the command line that does not exist, or a file that is neither a video
  nor a CSV: `ParameterError` before anything runs;
- a CSV without a `video` column, with an empty or duplicate column name, a metadata column
  whose name is taken by the emotion table, or a row without a video: `ParameterError`
  naming the file, the line and the fix;
- a CSV row whose video file does not exist: the clip is kept, marked with its problem, and
  recorded as failed without running (the other clips go on);
- the same video twice (two CSV rows, or a folder and a CSV): the first is kept and the
  others are logged as ignored; two CSV rows naming one video with different metadata are
  refused (which one is meant cannot be guessed).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emohelpers.analysis.table import COLUMNS
from emohelpers.analysis.video import VIDEO_SUFFIXES
from emohelpers.core.assets import sample_clips
from emohelpers.core.errors import ParameterError

log = logging.getLogger(__name__)

VIDEO_COLUMN = "video"
CLIP_COLUMN = "clip"
#: Column names a manifest's metadata may not use: the corpus dataset's own columns.
RESERVED: frozenset[str] = frozenset({*COLUMNS, CLIP_COLUMN, VIDEO_COLUMN})


@dataclass(frozen=True)
class Clip:
    """One clip of a corpus.

    Attributes:
        name: unique within the corpus, safe characters: its folder `clips/<name>/` and its
            partition `clip=<name>` in the dataset.
        video: the video file, absolute.
        source: where it was named ("CSV manifest.csv, line 3", or the path as given).
        metadata: the manifest's other columns, {column: value or None}.
        problem: why it cannot run (e.g. the file does not exist); None when it can.
    """

    name: str
    video: Path
    source: str
    metadata: dict[str, str | None] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True)
class _Entry:
    video: Path
    source: str
    metadata: dict[str, str | None]
    problem: str | None = None


def find_videos(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Video files in `folder` and its subfolders, sorted by relative path; hidden files and
    folders, and anything under `exclude` (the run's own output folder), are left out."""
    folder = folder.resolve()
    ex = exclude.resolve() if exclude is not None else None
    found = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if ex is not None and (p == ex or ex in p.parents):
            continue
        if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES:
            found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _read_csv(path: Path) -> list[_Entry]:
    """The rows of a CSV manifest (see the module docs)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ParameterError(f"{path}: cannot read the CSV manifest ({exc})") from exc
    if not header:
        raise ParameterError(
            f"{path}: empty CSV manifest; fix: a header line with a "
            f"'{VIDEO_COLUMN}' column, then one row per clip"
        )
    header = [h.strip() for h in header]
    if VIDEO_COLUMN not in header:
        raise ParameterError(
            f"{path}: no '{VIDEO_COLUMN}' column (columns: {header}); fix: "
            f"name the column of video paths '{VIDEO_COLUMN}'"
        )
    if "" in header or len(set(header)) != len(header):
        raise ParameterError(
            f"{path}: empty or repeated column names in {header}; fix: give "
            "every column its own name"
        )
    taken = sorted((set(header) - {VIDEO_COLUMN}) & RESERVED)
    if taken:
        raise ParameterError(
            f"{path}: metadata column(s) {taken} clash with the corpus "
            "table's own columns; fix: rename them (e.g. 'meta_...')"
        )
    entries: list[_Entry] = []
    first: dict[Path, tuple[int, dict]] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            raise ParameterError(
                f"{path}, line {line}: {len(row)} fields, the header has "
                f"{len(header)}; fix: quote fields holding commas"
            )
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        name = cells.pop(VIDEO_COLUMN)
        if not name:
            raise ParameterError(
                f"{path}, line {line}: empty '{VIDEO_COLUMN}'; fix: give the "
                "video's path or delete the row"
            )
        video = Path(name).expanduser()
        video = (video if video.is_absolute() else path.parent / video).resolve()
        meta = {k: (v if v else None) for k, v in cells.items()}
        if video in first:
            seen_line, seen_meta = first[video]
            if seen_meta != meta:
                raise ParameterError(
                    f"{path}, lines {seen_line} and {line}: the same video {name!r} with "
                    "different metadata; fix: keep one of the two rows"
                )
            log.warning(
                "%s, line %d: duplicates line %d (%s); ignored", path, line, seen_line, name
            )
            continue
        first[video] = (line, meta)
        source = f"{path.name}, line {line}"
        problem = None
        if not video.is_file():
            problem = f"{name}: no such file ({source})"
        elif video.suffix.lower() not in VIDEO_SUFFIXES:
            problem = f"{name}: not a video file, expected one of {VIDEO_SUFFIXES} ({source})"
        entries.append(_Entry(video, source, meta, problem))
    return entries


def read_inputs(inputs: Sequence[str | Path] | None, exclude: Path | None = None) -> list[Clip]:
    """The clips of a corpus run.

    Args:
        inputs: video files, folders (searched recursively) and CSV manifests (`.csv`);
            with none, or when none of them names a video, the sample clips.
        exclude: a folder whose videos are never inputs (the run's output folder).

    Returns:
        One `Clip` per distinct video, in input order, with unique names and the union of
        the manifests' metadata columns (None where a clip's manifest lacks one).

    Raises:
        ParameterError: see the module docs.
    """
    entries: list[_Entry] = []
    for item in inputs or []:
        p = Path(item).expanduser()
        if p.is_dir():
            entries += [_Entry(v, str(item), {}) for v in find_videos(p, exclude)]
        elif p.is_file() and p.suffix.lower() == ".csv":
            entries += _read_csv(p.resolve())
        elif p.is_file():
            if p.suffix.lower() not in VIDEO_SUFFIXES:
                raise ParameterError(
                    f"{p}: not a video file (expected one of {VIDEO_SUFFIXES}) "
                    "nor a CSV manifest (.csv)"
                )
            entries.append(_Entry(p.resolve(), str(item), {}))
        else:
            raise ParameterError(f"{p}: no such file or folder")
    if not entries:
        log.info("no videos in %s: using the sample clips", [str(i) for i in inputs or []])
        entries = [_Entry(v, "sample clip", {}) for v in sample_clips()]
    return _clips(_unique(entries))


def _unique(entries: Iterable[_Entry]) -> list[_Entry]:
    kept: dict[Path, _Entry] = {}
    for e in entries:
        if e.video in kept:
            log.warning(
                "%s (%s): already named by %s; ignored",
                e.video.name,
                e.source,
                kept[e.video].source,
            )
            continue
        kept[e.video] = e
    return list(kept.values())


def _clips(entries: list[_Entry]) -> list[Clip]:
    # the report stack (IPython, PyAV): only when clips are listed, not to read a manifest
    from emohelpers.report.run import clip_folders

    columns: list[str] = []
    for e in entries:
        columns += [k for k in e.metadata if k not in columns]
    names = clip_folders([e.video for e in entries])
    return [
        Clip(
            name=n,
            video=e.video,
            source=e.source,
            problem=e.problem,
            metadata={c: e.metadata.get(c) for c in columns},
        )
        for n, e in zip(names, entries, strict=True)
    ]


def metadata_columns(clips: Sequence[Clip]) -> list[str]:
    """The metadata columns of a corpus, in manifest order."""
    return list(clips[0].metadata) if clips else []
