"""Contract checks shared by the emotion table (`analysis.table`) and the voice table
(`analysis.voice.table`): columns and dtypes, and the seven probabilities of each row.

Imports no other analysis module, so that both tables may import it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from emohelpers.core.emotions import EMOTIONS
from emohelpers.core.errors import SchemaError

# Probabilities come from float32 softmax outputs: allow their rounding.
SUM_TOL = 1e-3


def check_columns(df: pd.DataFrame, dtypes: dict[str, Any], what: str) -> None:
    """Check that `df` is a DataFrame with every column of `dtypes` at its dtype.

    Args:
        df: the table to check.
        dtypes: column name -> expected dtype; `emotion`, `name` and text columns (a
            `StringDtype`) may be any string or object dtype.
        what: the table's name in error messages, e.g. "emotion table".

    Raises:
        SchemaError: not a DataFrame, a missing column, or a column at another dtype.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in dtypes if c not in df.columns]
    if missing:
        raise SchemaError(f"{what}: missing columns {missing}; expected {list(dtypes)}")
    for col, dtype in dtypes.items():
        actual = df[col].dtype
        if col in ("emotion", "name") or isinstance(dtype, pd.StringDtype):  # any text
            ok = pd.api.types.is_string_dtype(actual) or pd.api.types.is_object_dtype(actual)
        else:
            ok = actual == np.dtype(dtype)
        if not ok:
            raise SchemaError(f"{what}: column {col!r} has dtype {actual}, expected {dtype}")


def check_probabilities(df: pd.DataFrame, has: np.ndarray, what: str) -> None:
    """Check the seven probabilities and the `emotion` of the rows that have them.

    Args:
        df: a table with the `EMOTIONS` columns and `emotion`.
        has: (n,) bool, the rows that carry probabilities (a face, a window with speech).
        what: the table's name in error messages, e.g. "voice table".

    Raises:
        SchemaError: probabilities outside [0, 1], rows not summing to 1 (within `SUM_TOL`),
            or an `emotion` that is not the most probable of the seven.
    """
    p = df.loc[has, list(EMOTIONS)].to_numpy(dtype=np.float64)
    if not p.size:
        return
    if (p < -1e-6).any() or (p > 1 + 1e-6).any():
        raise SchemaError(f"{what}: probabilities outside [0, 1]")
    sums = p.sum(axis=1)
    if np.abs(sums - 1).max() > SUM_TOL:
        raise SchemaError(f"{what}: probabilities sum to {sums.min():.4f}..{sums.max():.4f}, not 1")
    expected = np.asarray(EMOTIONS)[p.argmax(axis=1)]
    if (df.loc[has, "emotion"].to_numpy(dtype=object) != expected).any():
        raise SchemaError(f"{what}: 'emotion' is not the most probable of the seven")
