"""The voice table: one row per window of the sound track (DESIGN.md, "The data contract").

Columns: `start_s`, `end_s`, `speech_prob`, the seven probabilities in `EMOTIONS` order,
`emotion`, `sound`. A window without speech is a row with NaN probabilities and no emotion,
never "neutral". `sound` says what a window where the VAD fired holds ("speech", "singing",
"noise": `sound_kind`); only "speech" windows are classified, the others keep NaN
probabilities; windows below the VAD threshold have no `sound` (NaN). Saved as
`voice.parquet` beside `emotions.parquet` (`analysis.table.Analysis`
saves and loads it with the face table); `pseudo_person.as_emotion_table` reads it as an
emotion table. Imports no other analysis module but `analysis.table_checks`, so that
`analysis.table` may import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table_checks import check_columns, check_probabilities
from emohelpers.core.atomic import atomic_write
from emohelpers.core.emotions import EMOTIONS
from emohelpers.core.errors import SchemaError

VOICE_FILE = "voice.parquet"

VOICE_DTYPES: dict[str, Any] = {
    "start_s": "float64",
    "end_s": "float64",
    "speech_prob": "float64",
    **{e: "float64" for e in EMOTIONS},
    "emotion": pd.StringDtype(na_value=np.nan),
    "sound": pd.StringDtype(na_value=np.nan),
}
SOUND_KINDS = ("speech", "singing", "noise")
VOICE_COLUMNS: tuple[str, ...] = tuple(VOICE_DTYPES)


def empty_voice_table() -> pd.DataFrame:
    """A voice table with no rows (a clip without sound), every column at its dtype."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in VOICE_DTYPES.items()})


def build_voice_table(
    start_s: np.ndarray,
    end_s: np.ndarray,
    speech_prob: np.ndarray,
    probs: np.ndarray,
    sound: np.ndarray | list | None = None,
) -> pd.DataFrame:
    """Assemble and validate a voice table from parallel arrays.

    Args:
        start_s: (n,) float, window starts, seconds, non-decreasing.
        end_s: (n,) float, window ends, seconds, > start_s.
        speech_prob: (n,) float in [0, 1], mean voice-activity probability of each window.
        probs: (n, 7) float in `EMOTIONS` order; NaN rows for windows without speech.
        sound: (n,) "speech" | "singing" | "noise" | None (default: "speech" where there are
            probabilities, None elsewhere).

    Returns:
        The validated voice table.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(-1, len(EMOTIONS))
    has = ~np.isnan(probs).any(axis=1)
    top = np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1)
    emotion = np.where(has, np.asarray(EMOTIONS, dtype=object)[top], None)
    speech = np.array(["speech", None], dtype=object)
    kinds = speech[np.where(has, 0, 1)] if sound is None else np.asarray(sound, dtype=object)
    df = pd.DataFrame(
        {
            "start_s": np.asarray(start_s, dtype=np.float64),
            "end_s": np.asarray(end_s, dtype=np.float64),
            "speech_prob": np.asarray(speech_prob, dtype=np.float64),
            **{e: probs[:, i] for i, e in enumerate(EMOTIONS)},
            "emotion": pd.array(emotion, dtype=VOICE_DTYPES["emotion"]),
            "sound": pd.array(kinds, dtype=VOICE_DTYPES["sound"]),
        }
    )
    return validate_voice_table(df)


def validate_voice_table(df: pd.DataFrame) -> pd.DataFrame:
    """Check that `df` follows the voice-table contract; return it unchanged.

    Raises:
        SchemaError: naming the first broken rule.
    """
    check_columns(df, VOICE_DTYPES, "voice table")
    if df.empty:
        return df
    start, end = df["start_s"].to_numpy(), df["end_s"].to_numpy()
    if not (np.isfinite(start).all() and np.isfinite(end).all()) or (end <= start).any():
        raise SchemaError("voice table: every window needs finite start_s < end_s")
    if (np.diff(start) < 0).any():
        raise SchemaError("voice table: rows are not sorted by start_s")
    sp = df["speech_prob"].to_numpy()
    if np.isnan(sp).any() or (sp < 0).any() or (sp > 1).any():
        raise SchemaError("voice table: speech_prob must be in [0, 1] on every row")
    probs = df[list(EMOTIONS)].to_numpy(dtype=np.float64)
    nan_any, nan_all = np.isnan(probs).any(axis=1), np.isnan(probs).all(axis=1)
    if (nan_any & ~nan_all).any():
        raise SchemaError("voice table: a row has some probabilities NaN and others not")
    check_probabilities(df, ~nan_all, "voice table")
    if df.loc[nan_all, "emotion"].notna().any():
        raise SchemaError("voice table: a window without speech has an emotion")
    sound = df["sound"]
    if not sound.dropna().isin(SOUND_KINDS).all():
        raise SchemaError(f"voice table: sound must be one of {SOUND_KINDS} or empty")
    if (sound[~nan_all] != "speech").any():
        raise SchemaError("voice table: a classified window's sound is not speech")
    return df


def save_voice_table(table: pd.DataFrame, out_dir: str | Path) -> Path:
    """Write `voice.parquet` into `out_dir` (whole or not at all); return its path."""
    validate_voice_table(table)
    return atomic_write(Path(out_dir) / VOICE_FILE, lambda p: table.to_parquet(p, index=False))


def load_voice_table(out_dir: str | Path) -> pd.DataFrame:
    """Read `voice.parquet` from `out_dir`.

    Raises:
        SchemaError: missing or unreadable file, or a table that breaks the contract.
    """
    path = Path(out_dir) / VOICE_FILE
    if not path.is_file():
        raise SchemaError(f"{path}: not found; run `emohelpers analyze VIDEO --out {out_dir}`")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{path}: cannot read the voice table ({exc})") from exc
    if "sound" not in table.columns:  # saved before sounds were marked: speech where classified
        has = table[list(EMOTIONS)].notna().all(axis=1)
        table["sound"] = np.array(["speech", None], dtype=object)[np.where(has, 0, 1)]
    return validate_voice_table(table.astype(VOICE_DTYPES))
