"""The corpus on disk: `corpus/emotions/` (one Parquet dataset, hive-partitioned by clip) and
`corpus/clips.parquet` (one row per clip).

Layout of a corpus run's output folder `DIR`:

```
DIR/clips/<clip>/emotions.parquet, provenance.json   the clip's analysis (as `analyze`)
DIR/clips/<clip>/clip.json                           its row of clips.parquet, written last
DIR/clips/<clip>/report.html                         with --reports
DIR/corpus/emotions/clip=<clip>/part-0.parquet       the clip's table + manifest metadata
DIR/corpus/shots/clip=<clip>/part-0.parquet          its shots (`summaries.shots`) + metadata
DIR/corpus/clips.parquet                             one row per clip (CLIP_COLUMNS + metadata)
DIR/corpus/persons.parquet                           one row per person of every clip, linked
DIR/corpus/index.html                                the corpus report
```

Every file is written under a hidden temporary name in its final folder and renamed when
complete; readers of the dataset (`pyarrow.dataset`, pandas, Dask, DuckDB) skip hidden
files, so a killed writer never leaves a part that is read as data.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table import DTYPES
from emohelpers.core.atomic import atomic_write, atomic_write_json
from emohelpers.core.errors import SchemaError

CLIPS_DIR = "clips"
CORPUS_DIR = "corpus"
DATASET_DIR = "emotions"
SHOTS_DIR = "shots"
PARTITION_FILE = "part-0.parquet"
CLIPS_FILE = "clips.parquet"
MARKER_FILE = "clip.json"
#: `corpus/persons.parquet`: every clip's persons and their `corpus_person` (`corpus.persons`).
CORPUS_PERSONS_FILE = "persons.parquet"

#: Statuses of a clip in `clips.parquet`.
STATUSES: tuple[str, ...] = ("ok", "failed", "pending")

#: Column of `clips.parquet` -> dtype; the manifest's metadata columns follow as strings.
CLIP_DTYPES: dict[str, Any] = {
    "clip": "string",
    "video": "string",
    "status": "string",  # ok | failed | pending (the run stopped before the clip ran)
    "error": "string",  # one line, for a failed clip
    "skipped": "boolean",  # finished by an earlier run with the same video and settings
    "reused": "boolean",  # ran, but reused the analysis an earlier run saved (its timing)
    "seconds": "float64",  # wall time of the clip's task in the run that ran it, s
    "duration_s": "float64",
    "fps": "float64",
    "frames_analysed": "Int64",
    "frames_with_face": "Int64",
    "face_coverage": "float64",  # frames_with_face / frames_analysed
    "faces": "Int64",
    "faces_left_out": "Int64",  # faces below min_quality: counted, in no verdict
    "persons": "Int64",
    "names": "string",  # the cast members named in the clip, comma-separated (--cast)
    "main_person": "float64",  # the person with the most frames with a face
    "dominant": "string",  # the main person's dominant emotion (by vote)
    "valence_score": "float64",
    "verdict": "string",  # the main person's valence verdict
    "model": "string",
    "device": "string",
    "analysis_seconds": "float64",
    "frames_per_s": "float64",
    "report": "string",  # clips/<clip>/report.html, relative to DIR; with --reports
    "worker": "string",  # host:pid that ran it
    "video_sha256": "string",
}
CLIP_COLUMNS: tuple[str, ...] = tuple(CLIP_DTYPES)


def clip_folder(out_dir: str | Path, name: str) -> Path:
    """`DIR/clips/<name>`."""
    return Path(out_dir) / CLIPS_DIR / name


def dataset_dir(out_dir: str | Path) -> Path:
    """`DIR/corpus/emotions`."""
    return Path(out_dir) / CORPUS_DIR / DATASET_DIR


def partition_path(out_dir: str | Path, name: str) -> Path:
    """`DIR/corpus/emotions/clip=<name>/part-0.parquet`."""
    return dataset_dir(out_dir) / f"clip={name}" / PARTITION_FILE


def shots_path(out_dir: str | Path, name: str) -> Path:
    """`DIR/corpus/shots/clip=<name>/part-0.parquet`."""
    return Path(out_dir) / CORPUS_DIR / SHOTS_DIR / f"clip={name}" / PARTITION_FILE


def _with_metadata(table: pd.DataFrame, metadata: Mapping[str, str | None]) -> pd.DataFrame:
    part = table.copy()
    for column, value in metadata.items():
        part[column] = pd.array([value] * len(part), dtype="string")
    return part


def write_shots(
    out_dir: str | Path, name: str, shots: pd.DataFrame, metadata: Mapping[str, str | None]
) -> Path:
    """Write one clip's shot table (`summaries.shots.shot_table`) plus its metadata columns
    as its partition of `DIR/corpus/shots/`; returns the file."""
    part = _with_metadata(shots, metadata)
    return atomic_write(shots_path(out_dir, name), lambda p: part.to_parquet(p, index=False))


def read_shots(out_dir: str | Path) -> pd.DataFrame:
    """The corpus's shot tables as one DataFrame (column `clip` from the partitions); empty
    when no clip has one."""
    import pyarrow.dataset as ds  # the dataset API only to read a partitioned corpus

    root = Path(out_dir) / CORPUS_DIR / SHOTS_DIR
    if not root.is_dir() or not any(root.iterdir()):
        return pd.DataFrame({"clip": pd.Series(dtype="string")})
    df = ds.dataset(root, format="parquet", partitioning="hive").to_table().to_pandas()
    df["clip"] = df["clip"].astype("string")
    return df


def write_partition(
    out_dir: str | Path, name: str, table: pd.DataFrame, metadata: Mapping[str, str | None]
) -> Path:
    """Write one clip's partition: its emotion table plus one string column per metadata key.

    Args:
        out_dir: the corpus run's folder.
        name: the clip's name (the partition value; safe characters).
        table: its emotion table (n rows).
        metadata: {column: value or None}, repeated on every row.

    Returns:
        The partition file.
    """
    part = _with_metadata(table, metadata)
    # Its temporary name is hidden: dataset readers skip it while it is written.
    return atomic_write(partition_path(out_dir, name), lambda p: part.to_parquet(p, index=False))


def remove_partition(out_dir: str | Path, name: str) -> None:
    """Remove a clip's partitions (a clip being redone or failed has none)."""
    shutil.rmtree(partition_path(out_dir, name).parent, ignore_errors=True)
    shutil.rmtree(shots_path(out_dir, name).parent, ignore_errors=True)


def prune_partitions(out_dir: str | Path, keep: Sequence[str]) -> list[str]:
    """Remove partitions of clips not in `keep` (removed from the manifest, or failed), so
    that the dataset holds exactly the finished clips of `clips.parquet`; returns their names.
    """
    wanted = {f"clip={n}" for n in keep}
    gone: set[str] = set()
    for root in (dataset_dir(out_dir), shots_path(out_dir, "x").parent.parent):
        if not root.is_dir():
            continue
        for target in [p for p in root.iterdir() if p.name not in wanted]:
            gone.add(target.name)
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
    return [g.removeprefix("clip=") for g in sorted(gone)]


def read_marker(folder: Path) -> dict[str, Any] | None:
    """A clip folder's `clip.json` (its finished row), or None when absent or unreadable."""
    try:
        return json.loads((folder / MARKER_FILE).read_text())
    except (OSError, ValueError):
        return None


def write_marker(folder: Path, row: Mapping[str, Any]) -> Path:
    """Write a clip's row as `clip.json`, atomically (the last file a finished clip gets)."""
    clean = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
    return atomic_write_json(folder / MARKER_FILE, clean)


def clips_frame(rows: Sequence[Mapping[str, Any]], metadata: Sequence[str] = ()) -> pd.DataFrame:
    """`clips.parquet`'s table from the clips' rows: `CLIP_COLUMNS`, then the metadata."""
    columns = [*CLIP_COLUMNS, *[m for m in metadata if m not in CLIP_DTYPES]]
    df = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    dtypes = {**CLIP_DTYPES, **{m: "string" for m in columns[len(CLIP_COLUMNS) :]}}
    for column, dtype in dtypes.items():
        values = df[column].astype(object).where(df[column].notna(), None)
        df[column] = pd.array(values.to_list(), dtype=dtype)
    return df


def write_clips(
    out_dir: str | Path, rows: Sequence[Mapping[str, Any]], metadata: Sequence[str] = ()
) -> Path:
    """Write `DIR/corpus/clips.parquet` atomically; returns its path."""
    frame = clips_frame(rows, metadata)
    path = Path(out_dir) / CORPUS_DIR / CLIPS_FILE
    return atomic_write(path, lambda p: frame.to_parquet(p, index=False))


def read_clips(out_dir: str | Path) -> pd.DataFrame:
    """`DIR/corpus/clips.parquet`.

    Raises:
        SchemaError: when it is missing (no corpus run wrote `DIR`).
    """
    path = Path(out_dir) / CORPUS_DIR / CLIPS_FILE
    if not path.is_file():
        raise SchemaError(f"{path}: not found; run `emohelpers corpus INPUT... --out {out_dir}`")
    return pd.read_parquet(path)


def read_emotions(out_dir: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The corpus dataset as one DataFrame (column `clip` from the partitions, as strings),
    with each face's `corpus_person` (`corpus.persons`) when all columns are read.

    Args:
        out_dir: the corpus run's folder.
        columns: only these columns (faster on a large corpus); None for all (and the
            `corpus_person` of each row).
    """
    import pyarrow.dataset as ds  # the dataset API only to read a partitioned corpus

    root = dataset_dir(out_dir)
    if not root.is_dir() or not any(root.iterdir()):
        empty = pd.DataFrame({c: pd.Series(dtype=d) for c, d in DTYPES.items()})
        empty.insert(0, "clip", pd.Series(dtype="string"))
        return empty if columns is None else empty[list(columns)]
    data = ds.dataset(root, format="parquet", partitioning="hive")
    df = data.to_table(columns=list(columns) if columns else None).to_pandas()
    if "clip" in df:
        df["clip"] = df["clip"].astype("string")
    linked = Path(out_dir) / CORPUS_DIR / CORPUS_PERSONS_FILE
    if {"clip", "person"} <= set(df.columns) and linked.is_file() and columns is None:
        links = pd.read_parquet(linked, columns=["clip", "person", "corpus_person"])
        links = links.astype({"clip": "string", "person": "float64", "corpus_person": "Int64"})
        df = df.merge(links, on=["clip", "person"], how="left", sort=False)
    return df
