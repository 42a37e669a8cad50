"""The person table: one row per person of a clip, with the face descriptor that names and
links them (DESIGN.md, "The data contract").

Columns: `person` (the clip's person id), `name` (the enrolled cast member they match, else
empty), `faces` (face rows of the emotion table), `tracks` (tracks merged into them),
`seen_with` (persons of the clip seen in one frame with them: never the same face),
`descriptor` (the mean dlib face descriptor of their kept faces, 128 floats; empty when
none was computed). Saved as `persons.parquet` beside `emotions.parquet`, so that a cast
is matched and a corpus is linked from saved analyses without decoding a frame again.
Imports no other analysis module but `analysis.table_checks`, so that `analysis.table` may.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table_checks import check_columns
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import SchemaError

PERSONS_FILE = "persons.parquet"
#: Length of dlib's face descriptor.
DESCRIPTOR_SIZE = 128

PERSON_DTYPES: dict[str, Any] = {
    "person": "int64",
    "name": pd.StringDtype(na_value=np.nan),
    "faces": "int64",
    "tracks": "int64",
    "seen_with": "object",
    "descriptor": "object",
}


def build_person_table(
    person: np.ndarray,
    frame: np.ndarray,
    descriptors: Mapping[int, np.ndarray],
    tracks: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """The person table of a clip from its emotion table's columns.

    Args:
        person: (n,) float person id per emotion-table row, NaN for no face.
        frame: (n,) int frame index per row.
        descriptors: person id -> (128,) mean face descriptor (persons without one: none).
        tracks: person id -> number of tracks merged into it (default 1 each).

    Returns:
        The validated person table, one row per person in id order, no names yet.
    """
    person = np.asarray(person, dtype=np.float64)
    has = ~np.isnan(person)
    ids = sorted({int(p) for p in person[has]})
    frames_of = {p: set(np.asarray(frame)[has][person[has] == p].tolist()) for p in ids}
    rows = []
    for p in ids:
        desc = descriptors.get(p)
        rows.append(
            {
                "person": p,
                "name": None,
                "faces": int((person[has] == p).sum()),
                "tracks": int((tracks or {}).get(p, 1)),
                "seen_with": [q for q in ids if q != p and frames_of[p] & frames_of[q]],
                "descriptor": [] if desc is None else [float(v) for v in desc],
            }
        )
    df = pd.DataFrame(rows, columns=list(PERSON_DTYPES))
    return validate_person_table(df.astype({k: v for k, v in PERSON_DTYPES.items()}))


def validate_person_table(df: pd.DataFrame) -> pd.DataFrame:
    """Check the person-table contract; return `df` unchanged.

    Raises:
        SchemaError: naming the broken rule.
    """
    check_columns(df, {k: v for k, v in PERSON_DTYPES.items() if k != "name"}, "person table")
    if "name" not in df.columns:
        raise SchemaError("person table: missing column 'name'")
    if df["person"].duplicated().any():
        raise SchemaError("person table: a person id appears twice")
    sizes = {len(d) for d in df["descriptor"]}
    if not sizes <= {0, DESCRIPTOR_SIZE}:
        raise SchemaError(
            f"person table: descriptors of {sorted(sizes)} values, expected {DESCRIPTOR_SIZE}"
        )
    return df


def descriptors_of(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(person ids (m,) int64, descriptors (m, 128) float64) of the persons that have one."""
    keep = np.array([len(d) == DESCRIPTOR_SIZE for d in df["descriptor"]], dtype=bool)
    sub = df.loc[keep]
    desc = np.array([np.asarray(d, dtype=np.float64) for d in sub["descriptor"]])
    return sub["person"].to_numpy(np.int64), desc.reshape(-1, DESCRIPTOR_SIZE)


def save_person_table(df: pd.DataFrame, out_dir: Path) -> Path:
    """Write `persons.parquet` into `out_dir` (whole or not at all)."""
    validate_person_table(df)
    return atomic_write(Path(out_dir) / PERSONS_FILE, lambda p: df.to_parquet(p, index=False))


def load_person_table(out_dir: Path) -> pd.DataFrame:
    """Read `persons.parquet` from `out_dir`.

    Raises:
        SchemaError: when it cannot be read or breaks the contract.
    """
    path = Path(out_dir) / PERSONS_FILE
    try:
        df = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{path}: cannot read the person table ({exc})") from exc
    for column in ("seen_with", "descriptor"):  # Parquet lists come back as numpy arrays
        df[column] = pd.Series([list(v) for v in df[column]], index=df.index, dtype=object)
    df["name"] = df["name"].astype(PERSON_DTYPES["name"])
    return validate_person_table(df)
