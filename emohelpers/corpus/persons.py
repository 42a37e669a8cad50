"""Persons across a corpus: `corpus/persons.parquet`, one row per person of every clip with
the `corpus_person` that links the same face across clips.

Built after a run from each finished clip's saved person table (`clips/<clip>/persons.parquet`,
the mean face descriptor of each person): no frame is decoded again. Persons are clustered
by average linkage under `CORPUS_MAX_DISTANCE` (`analysis.tracking.linking`), never two
persons seen in one frame; persons named by a cast (`--cast`) are never linked to another
name, and persons of one name are one corpus person. Persons without a descriptor (an
analysis made without re-identification) get no corpus person.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.person_table import PERSONS_FILE, descriptors_of, load_person_table
from emohelpers.analysis.tracking.linking import link_descriptors
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import SchemaError
from emohelpers.core.part_settings import CORPUS_MAX_DISTANCE
from emohelpers.corpus import dataset

CORPUS_PERSONS_FILE = dataset.CORPUS_PERSONS_FILE
CORPUS_PERSON_DTYPES: dict[str, Any] = {
    "clip": "string",
    "person": "int64",
    "name": "string",
    "faces": "int64",
    "corpus_person": "Int64",
}


def link_tables(
    tables: Sequence[tuple[str, pd.DataFrame]], max_distance: float = CORPUS_MAX_DISTANCE
) -> pd.DataFrame:
    """The corpus person table from the clips' person tables.

    Args:
        tables: (clip name, its person table), in manifest order.
        max_distance: largest average descriptor distance that links two persons.

    Returns:
        One row per person (`CORPUS_PERSON_DTYPES`); `corpus_person` 1, 2, ... by first
        appearance, NA for persons without a descriptor.
    """
    rows: list[dict[str, Any]] = []
    descs: list[np.ndarray] = []
    index: dict[tuple[str, int], int] = {}
    for clip, persons in tables:
        ids, desc = descriptors_of(persons)
        with_desc = dict(zip(ids.tolist(), desc, strict=True))
        for r in persons.itertuples():
            name = None if pd.isna(r.name) else str(r.name)
            rows.append(
                {"clip": clip, "person": int(r.person), "name": name, "faces": int(r.faces)}
            )
            if int(r.person) in with_desc:
                index[(clip, int(r.person))] = len(descs)
                descs.append(with_desc[int(r.person)])
    cannot: set[tuple[int, int]] = set()
    for clip, persons in tables:
        for p, seen in zip(persons["person"], persons["seen_with"], strict=True):
            for q in seen:
                a, b = index.get((clip, int(p))), index.get((clip, int(q)))
                if a is not None and b is not None:
                    cannot.add((min(a, b), max(a, b)))
    named = [r["name"] for r in rows if (r["clip"], r["person"]) in index]
    for a in range(len(named)):  # two names are two persons
        for b in range(a + 1, len(named)):
            if named[a] and named[b] and named[a] != named[b]:
                cannot.add((a, b))
    labels = link_descriptors(np.array(descs).reshape(-1, 128), cannot, max_distance)
    labels = _join_names(labels, named, cannot)
    frame = pd.DataFrame(rows, columns=[c for c in CORPUS_PERSON_DTYPES if c != "corpus_person"])
    frame["corpus_person"] = [
        labels[index[(r["clip"], r["person"])]] if (r["clip"], r["person"]) in index else None
        for r in rows
    ]
    return frame.astype(CORPUS_PERSON_DTYPES)


def _join_names(labels: np.ndarray, named: list, cannot: set[tuple[int, int]]) -> np.ndarray:
    """Groups holding one name joined into one (unless a pair of them may never join), and
    renumbered 1, 2, ... by first row."""
    labels = labels.copy()
    by_name: dict[str, int] = {}
    for i, name in enumerate(named):
        if not name:
            continue
        if name not in by_name:
            by_name[name] = int(labels[i])
            continue
        keep, other = by_name[name], int(labels[i])
        if keep == other:
            continue
        a, b = np.flatnonzero(labels == keep), np.flatnonzero(labels == other)
        if not any((min(x, y), max(x, y)) in cannot for x in a for y in b):
            labels[labels == other] = keep
    order = {g: k for k, g in enumerate(dict.fromkeys(labels.tolist()), start=1)}
    return np.array([order[g] for g in labels.tolist()], dtype=np.int64)


def persons_path(out_dir: str | Path) -> Path:
    """`DIR/corpus/persons.parquet`."""
    return Path(out_dir) / dataset.CORPUS_DIR / CORPUS_PERSONS_FILE


def write_corpus_persons(
    out_dir: str | Path, clips: Sequence[str], max_distance: float = CORPUS_MAX_DISTANCE
) -> Path:
    """Link the persons of the finished `clips` of a corpus run and write
    `DIR/corpus/persons.parquet`; a clip without a saved person table adds no row."""
    tables = []
    for clip in clips:
        folder = dataset.clip_folder(out_dir, clip)
        if (folder / PERSONS_FILE).is_file():
            tables.append((clip, load_person_table(folder)))
    frame = link_tables(tables, max_distance)
    return atomic_write(persons_path(out_dir), lambda p: frame.to_parquet(p, index=False))


def read_corpus_persons(out_dir: str | Path) -> pd.DataFrame:
    """`DIR/corpus/persons.parquet`.

    Raises:
        SchemaError: when it is missing (no corpus run wrote it).
    """
    path = persons_path(out_dir)
    if not path.is_file():
        raise SchemaError(f"{path}: not found; run `emohelpers corpus INPUT... --out {out_dir}`")
    return pd.read_parquet(path).astype(CORPUS_PERSON_DTYPES)
