"""`export(folder, format)`: a clip's analysis folder or a corpus folder as CSV tables, ELAN
annotation files or subtitles.

- `csv`: `emotions.csv` and `voice.csv` (UTF-8, one row per row of the tables, times in
  seconds), `persons.csv` (names, no descriptors) and `provenance.json` (ISO 8601 times:
  when the analysis was made, when it was exported). For a corpus: the whole dataset as one
  `emotions.csv` (columns `clip`, the manifest's metadata, `name`, `corpus_person`), one
  `voice.csv` with a `clip` column, `clips.csv`, `persons.csv` (the corpus persons) and a
  `provenance.json` per clip under `clips/<clip>/`.
- `elan`: `<clip>.eaf` (EAF 3.0), one tier per person (dominant emotion per window), shots
  and voice.
- `srt`: `<clip>.srt`, each person's dominant emotion per window.

Every file is written whole or not at all (`atomic_write`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from emohelpers.analysis.provenance import utc_now
from emohelpers.analysis.table import PROVENANCE_FILE, TABLE_FILE, Analysis
from emohelpers.core.atomic import atomic_write, atomic_write_json
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.corpus import dataset
from emohelpers.corpus.persons import persons_path, read_corpus_persons
from emohelpers.exports.annotations import analysis_tiers, person_tiers
from emohelpers.exports.elan import eaf_document
from emohelpers.exports.subtitles import srt_document

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "elan", "srt")
EXPORT_DIR = "export"


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, frame.to_csv(index=False, lineterminator="\n"))


def _persons_csv(persons: pd.DataFrame) -> pd.DataFrame:
    out = persons.drop(columns=["descriptor"], errors="ignore").copy()
    if "seen_with" in out:
        out["seen_with"] = [" ".join(str(int(q)) for q in w) for w in out["seen_with"]]
    return out


def is_corpus(folder: Path) -> bool:
    """Whether `folder` is a corpus run's output (it holds `corpus/clips.parquet`)."""
    return (folder / dataset.CORPUS_DIR / dataset.CLIPS_FILE).is_file()


def _analyses(folder: Path) -> Iterator[tuple[str, Analysis]]:
    """(clip name, analysis) of a clip folder, or of each finished clip of a corpus."""
    if not is_corpus(folder):
        analysis = Analysis.load(folder)
        yield Path(str(analysis.provenance.video.get("name") or folder.name)).stem, analysis
        return
    clips = dataset.read_clips(folder)
    for clip in clips.loc[clips["status"] == "ok", "clip"]:
        yield str(clip), Analysis.load(dataset.clip_folder(folder, str(clip)))


def _provenance(analysis: Analysis) -> dict:
    return {**analysis.provenance.to_dict(), "exported_utc": utc_now()}


def _export_csv(folder: Path, out: Path) -> list[Path]:
    if not is_corpus(folder):
        ((_, analysis),) = _analyses(folder)
        written = [_csv(out / "emotions.csv", analysis.table)]
        if analysis.voice is not None:
            written.append(_csv(out / "voice.csv", analysis.voice))
        if analysis.persons is not None:
            written.append(_csv(out / "persons.csv", _persons_csv(analysis.persons)))
        written.append(atomic_write_json(out / "provenance.json", _provenance(analysis)))
        return written
    written = [
        _csv(out / "emotions.csv", dataset.read_emotions(folder)),
        _csv(out / "clips.csv", dataset.read_clips(folder)),
    ]
    if persons_path(folder).is_file():
        written.append(_csv(out / "persons.csv", read_corpus_persons(folder)))
    voices = []
    for clip, analysis in _analyses(folder):
        if analysis.voice is not None:
            voices.append(analysis.voice.assign(clip=clip)[["clip", *analysis.voice.columns]])
        prov = out / dataset.CLIPS_DIR / clip / "provenance.json"
        written.append(atomic_write_json(prov, _provenance(analysis)))
    if voices:
        written.append(_csv(out / "voice.csv", pd.concat(voices, ignore_index=True)))
    return written


def export(
    folder: str | Path,
    format: str = "csv",
    out: str | Path | None = None,
    window_s: float = 1.0,
) -> list[Path]:
    """Export a clip's analysis folder or a corpus folder.

    Args:
        folder: an analysis folder (`emotions.parquet`, `provenance.json`: what `analyze`
            writes) or a corpus run's folder (`corpus/clips.parquet`).
        format: "csv" | "elan" | "srt" (see the module's docstring).
        out: where the files go (default `folder/export`).
        window_s: window of the dominant emotion in ELAN tiers and subtitles, seconds.

    Returns:
        The files written.

    Raises:
        ParameterError: an unknown format or a bad window.
        SchemaError: `folder` holds no analysis and no corpus, or a damaged one.
    """
    if format not in FORMATS:
        raise ParameterError(f"format={format!r}: invalid; allowed: {' | '.join(FORMATS)}")
    if isinstance(window_s, bool) or not (isinstance(window_s, int | float) and window_s > 0):
        raise ParameterError(f"window_s={window_s!r}: invalid; allowed: seconds > 0")
    src = Path(folder)
    if not is_corpus(src) and not (src / TABLE_FILE).is_file():
        raise SchemaError(
            f"{src}: neither an analysis folder ({TABLE_FILE}, {PROVENANCE_FILE}) nor a corpus "
            f"folder ({dataset.CORPUS_DIR}/{dataset.CLIPS_FILE}); give the --out folder of "
            "`emohelpers analyze` or `emohelpers corpus`"
        )
    target = Path(out) if out is not None else src / EXPORT_DIR
    if format == "csv":
        written = _export_csv(src, target)
    else:
        written = []
        for clip, analysis in _analyses(src):
            if format == "elan":
                text = eaf_document(
                    analysis_tiers(analysis, window_s), analysis.provenance.video.get("path")
                )
                written.append(atomic_write(target / f"{clip}.eaf", text))
            else:
                text = srt_document(person_tiers(analysis.table, window_s))
                written.append(atomic_write(target / f"{clip}.srt", text))
    log.info("exported %d file(s) to %s", len(written), target)
    return written
