"""The emotion table: the one contract between analysis and everything after it.

One row per face per analysed frame; a frame where no face was found still gets one row
with the face fields and probabilities NaN, so that timelines show gaps honestly.
The table is saved as Parquet with a JSON sidecar of its provenance.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.person_table import PERSONS_FILE, load_person_table, save_person_table
from emohelpers.analysis.provenance import Provenance
from emohelpers.analysis.table_checks import check_columns, check_probabilities
from emohelpers.analysis.video_check import matching_video
from emohelpers.analysis.voice.table import VOICE_FILE, load_voice_table, save_voice_table
from emohelpers.analysis.voice.transcript_table import (
    TRANSCRIPT_FILE,
    load_transcript,
    save_transcript,
)
from emohelpers.core.assets import sha256_file
from emohelpers.core.atomic import atomic_write, atomic_write_json
from emohelpers.core.emotions import CHANCE, EMOTIONS  # noqa: F401 (CHANCE re-exported)
from emohelpers.core.errors import SchemaError

log = logging.getLogger(__name__)

BOX_COLUMNS: tuple[str, ...] = ("x1", "y1", "x2", "y2")

#: Column name -> dtype. `face` and `person` are float so that NaN can say "no face";
#: `name` is the enrolled cast member a person matches (`--cast`), empty (NaN) otherwise.
DTYPES: dict[str, Any] = {
    "frame": "int64",
    "time_s": "float64",
    "shot": "int64",
    "face": "float64",
    "person": "float64",
    "name": pd.StringDtype(na_value=np.nan),
    **{c: "float64" for c in BOX_COLUMNS},
    "det_prob": "float64",
    "quality": "float64",
    **{e: "float64" for e in EMOTIONS},
    "emotion": pd.StringDtype(na_value=np.nan),
}
COLUMNS: tuple[str, ...] = tuple(DTYPES)

TABLE_FILE = "emotions.parquet"
PROVENANCE_FILE = "provenance.json"
#: The provenance's record of the tables it commits: {file name: {sha256, size_bytes}}.
FILES_KEY = "files"
_LEGACY_TOLERANCE_NS = 2 * 10**9


def _committed(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "size_bytes": path.stat().st_size}


def _check_committed(out: Path, files: Any) -> None:
    """Raise SchemaError unless the tables in `out` are those its provenance commits.

    A provenance without the record (saved by a version before it) commits the table when
    that is not newer than itself: that `save` wrote the table just before the provenance,
    and a table renamed over an older one by a killed save came an analysis later (the
    tolerance keeps copies of such folders, whose times are the copy's, readable).
    """
    prov_path = out / PROVENANCE_FILE
    fix = f"analyse again (`emohelpers analyze VIDEO --out {out}`)"
    if files is None:
        newer_ns = (out / TABLE_FILE).stat().st_mtime_ns - prov_path.stat().st_mtime_ns
        if newer_ns > _LEGACY_TOLERANCE_NS:
            raise SchemaError(
                f"{out / TABLE_FILE}: does not match its provenance (written after it: an "
                f"interrupted save?); {fix}"
            )
        return
    if not isinstance(files, dict) or TABLE_FILE not in files:
        raise SchemaError(f"{prov_path}: its `{FILES_KEY}` record is damaged; {fix}")
    for name, record in files.items():
        path = out / str(name)
        wanted = record if isinstance(record, dict) else {}
        if (
            not path.is_file()
            or path.stat().st_size != wanted.get("size_bytes")
            or (sha256_file(path) != wanted.get("sha256"))
        ):
            raise SchemaError(
                f"{path}: does not match its provenance (an interrupted save, or a file "
                f"changed since); {fix}"
            )


def empty_table() -> pd.DataFrame:
    """An emotion table with no rows, every column at its contract dtype."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in DTYPES.items()})


def build_table(
    frame: np.ndarray,
    time_s: np.ndarray,
    face: np.ndarray,
    person: np.ndarray,
    xyxy: np.ndarray,
    det_prob: np.ndarray,
    probs: np.ndarray,
    shot: np.ndarray | None = None,
    name: np.ndarray | None = None,
    quality: np.ndarray | None = None,
) -> pd.DataFrame:
    """Assemble and validate an emotion table from parallel arrays.

    Args:
        frame: (n,) int, source frame index of each row.
        time_s: (n,) float, presentation time in seconds.
        face: (n,) float, face index in its frame (largest first), NaN for no face.
        person: (n,) float, track id, NaN for no face.
        xyxy: (n, 4) float, face boxes in source pixels, NaN rows for no face.
        det_prob: (n,) float, detector confidence, NaN for no face.
        probs: (n, 7) float, probabilities in `EMOTIONS` order, NaN rows for no face.
        shot: (n,) int, index of the shot (between cuts) of each row's frame; all 0 when
            None (no cut detection).
        name: (n,) str or None, the cast member each row's person matches; all empty when
            None (no cast).
        quality: (n,) float in [0, 1], how readable each face is (`analysis.quality`), NaN
            for no face; all NaN (not known) when None, as for the voice's pseudo-person.

    Returns:
        The validated emotion table.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(-1, len(EMOTIONS))
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    has = ~np.isnan(probs).any(axis=1)
    top = np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1)
    emotion = np.where(has, np.asarray(EMOTIONS, dtype=object)[top], None)
    data: dict[str, Any] = {
        "frame": np.asarray(frame, dtype=np.int64),
        "time_s": np.asarray(time_s, dtype=np.float64),
        "shot": np.zeros(len(frame), np.int64) if shot is None else np.asarray(shot, np.int64),
        "face": np.asarray(face, dtype=np.float64),
        "person": np.asarray(person, dtype=np.float64),
        "name": pd.array([None] * len(frame) if name is None else list(name), dtype=DTYPES["name"]),
        **{c: xyxy[:, i] for i, c in enumerate(BOX_COLUMNS)},
        "det_prob": np.asarray(det_prob, dtype=np.float64),
        "quality": np.full(len(frame), np.nan)
        if quality is None
        else np.asarray(quality, dtype=np.float64),
        **{e: probs[:, i] for i, e in enumerate(EMOTIONS)},
        "emotion": pd.array(emotion, dtype=DTYPES["emotion"]),
    }
    df = pd.DataFrame(data)
    validate_table(df)
    return df


def validate_table(df: pd.DataFrame) -> pd.DataFrame:
    """Check that `df` follows the emotion-table contract; return it unchanged.

    Raises:
        SchemaError: naming the first broken rule (missing column, dtype, probabilities
            that do not sum to 1, an emotion that is not the argmax, ...).
    """
    check_columns(df, DTYPES, "emotion table")
    if df.empty:
        return df
    probs = df[list(EMOTIONS)].to_numpy(dtype=np.float64)
    no_face = df["face"].isna().to_numpy()
    nan_rows = np.isnan(probs).any(axis=1)
    if (nan_rows & ~no_face).any():
        raise SchemaError("emotion table: a row with a face has NaN probabilities")
    face_only = ["person", "name", *BOX_COLUMNS, "det_prob", "quality", *EMOTIONS]
    if df.loc[no_face, face_only].notna().any().any():
        raise SchemaError("emotion table: a row without a face has face fields that are not NaN")
    quality = df["quality"].to_numpy()
    if ((quality < 0) | (quality > 1)).any():  # NaN compares False: "not known" is allowed
        raise SchemaError("emotion table: 'quality' outside [0, 1]")
    check_probabilities(df, ~no_face, "emotion table")
    named = df[["person", "name"]].dropna().drop_duplicates()
    if named["person"].duplicated().any():
        raise SchemaError("emotion table: a person has two names")
    if df.loc[no_face, "emotion"].notna().any():
        raise SchemaError("emotion table: a row without a face has an emotion")
    if (np.diff(df["frame"].to_numpy()) < 0).any():
        raise SchemaError("emotion table: rows are not sorted by frame")
    shot = df["shot"].to_numpy()
    if shot[0] < 0 or (np.diff(shot) < 0).any():
        raise SchemaError("emotion table: 'shot' is negative or decreases over frames")
    return df


@dataclass(frozen=True)
class Analysis:
    """An emotion table and its provenance; unpacks as `table, provenance = analysis`.

    `voice` is the voice table (`analysis.voice.table`) when the sound track was analysed,
    None when the voice channel was off; the provenance's `voice` block says which, and why
    a voice table may be empty (no sound track, broken sound). `persons` is the person
    table (`analysis.person_table`: names and face descriptors), None when re-identification
    was off. `transcript` is what was said (`analysis.voice.transcript_table`), None when
    not transcribed.
    """

    table: pd.DataFrame
    provenance: Provenance = field(default_factory=Provenance)
    voice: pd.DataFrame | None = None
    persons: pd.DataFrame | None = None
    transcript: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.provenance, Provenance):  # a dict, e.g. read from JSON
            object.__setattr__(self, "provenance", Provenance.from_dict(self.provenance))

    def __iter__(self):
        return iter((self.table, self.provenance))

    def video_file(self, video: str | Path | None = None) -> Path:
        """The video to read this analysis's frames from (default the provenance's path),
        checked to be the one it was made from (size, then sha256); every reader of a saved
        analysis's frames goes through here (explain, the report, the explorers).

        Raises:
            VideoReadError: the video is missing or not the analysed one (re-analyse it).
        """
        return matching_video(self.provenance.video, video)

    def save(self, out_dir: str | Path) -> Path:
        """Write `emotions.parquet`, `provenance.json` and (when there are) `voice.parquet`,
        `transcript.parquet` and `persons.parquet` into `out_dir`; return the folder. A voice
        table, transcript or person table left from an earlier analysis is removed when this
        one has none.

        The tables are written first and the provenance last, as the folder's commit marker:
        it records the sha256 and size of each table it belongs to (`files`), so a save
        killed in between leaves a folder that `load` refuses, never a new table under an old
        provenance (and cache key). Each file is written whole or not at all (`atomic_write`).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        validate_table(self.table)
        files: dict[str, dict[str, Any]] = {}
        files[TABLE_FILE] = _committed(
            atomic_write(out / TABLE_FILE, lambda p: self.table.to_parquet(p, index=False))
        )
        if self.voice is not None:
            files[VOICE_FILE] = _committed(save_voice_table(self.voice, out))
        else:
            (out / VOICE_FILE).unlink(missing_ok=True)
        if self.persons is not None:
            files[PERSONS_FILE] = _committed(save_person_table(self.persons, out))
        else:
            (out / PERSONS_FILE).unlink(missing_ok=True)
        if self.transcript is not None:
            files[TRANSCRIPT_FILE] = _committed(save_transcript(self.transcript, out))
        else:
            (out / TRANSCRIPT_FILE).unlink(missing_ok=True)
        atomic_write_json(out / PROVENANCE_FILE, {**self.provenance.to_dict(), FILES_KEY: files})
        return out

    @classmethod
    def load(cls, out_dir: str | Path) -> Analysis:
        """Read an analysis saved by `save`.

        Raises:
            SchemaError: when either file is missing, a table does not match the provenance
                that commits it (a save was killed half-way, or a file was changed since),
                or the table breaks the contract.
        """
        out = Path(out_dir)
        table_path, prov_path = out / TABLE_FILE, out / PROVENANCE_FILE
        for p in (table_path, prov_path):
            if not p.is_file():
                raise SchemaError(f"{p}: not found; run `emohelpers analyze VIDEO --out {out}`")
        try:
            provenance = json.loads(prov_path.read_text())
            files = provenance.pop(FILES_KEY, None) if isinstance(provenance, dict) else None
            _check_committed(out, files)
            table = pd.read_parquet(table_path)
        except (OSError, ValueError) as exc:
            raise SchemaError(f"{out}: cannot read the saved analysis ({exc})") from exc
        if "shot" not in table.columns:  # saved before shots were detected: one shot
            table.insert(table.columns.get_loc("time_s") + 1, "shot", 0)
        if "name" not in table.columns:  # saved before casts: nobody named
            table.insert(table.columns.get_loc("person") + 1, "name", None)
        if "quality" not in table.columns:  # saved before faces had one: not known (NaN)
            table.insert(table.columns.get_loc("det_prob") + 1, "quality", np.nan)
        table = table.astype(DTYPES)
        validate_table(table)
        prov = Provenance.from_dict(provenance)
        # A voice table counts only with its provenance block (never a stale file's rows).
        voice = load_voice_table(out) if prov.voice and (out / VOICE_FILE).is_file() else None
        committed = isinstance(files, dict) and PERSONS_FILE in files
        persons = load_person_table(out) if committed else None
        transcript = load_transcript(out) if voice is not None else None
        return cls(
            table=table, provenance=prov, voice=voice, persons=persons, transcript=transcript
        )
