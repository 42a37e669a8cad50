"""The transcript table: one row per segment of what was said (`transcript.parquet`, beside
`voice.parquet`; made by `analysis.voice.transcript`):

| column | meaning |
| --- | --- |
| `start_s`, `end_s` | the segment's time on the tables' clock, seconds |
| `text` | what was said |
| `language` | the language Whisper detected for the stretch ("en", ...) |
| `confidence` | exp of the mean token log-probability of the stretch's decoding, in (0, 1] |

Imports no other analysis module, so that `analysis.table` may import it (torch-free).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import SchemaError

TRANSCRIPT_FILE = "transcript.parquet"
_STR = pd.StringDtype(na_value=np.nan)
TRANSCRIPT_DTYPES: dict[str, Any] = {
    "start_s": "float64",
    "end_s": "float64",
    "text": _STR,
    "language": _STR,
    "confidence": "float64",
}


def empty_transcript() -> pd.DataFrame:
    """A transcript with no rows, every column at its dtype."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in TRANSCRIPT_DTYPES.items()})


def build_transcript(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The transcript of segment dicts (the columns above), sorted by start."""
    if not rows:
        return empty_transcript()
    df = pd.DataFrame(rows, columns=list(TRANSCRIPT_DTYPES)).astype(TRANSCRIPT_DTYPES)
    return df.sort_values("start_s", kind="stable").reset_index(drop=True)


def save_transcript(table: pd.DataFrame, out_dir: str | Path) -> Path:
    """Write `transcript.parquet` into `out_dir` (whole or not at all); return its path."""
    return atomic_write(Path(out_dir) / TRANSCRIPT_FILE, lambda p: table.to_parquet(p, index=False))


def load_transcript(out_dir: str | Path) -> pd.DataFrame | None:
    """The transcript saved in `out_dir`, or None when there is none.

    Raises:
        SchemaError: the file exists but cannot be read or lacks columns.
    """
    path = Path(out_dir) / TRANSCRIPT_FILE
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{path}: cannot read the transcript ({exc})") from exc
    missing = [c for c in TRANSCRIPT_DTYPES if c not in table.columns]
    if missing:
        raise SchemaError(f"{path}: the transcript lacks columns {missing}; re-run the analysis")
    return table.astype(TRANSCRIPT_DTYPES)
