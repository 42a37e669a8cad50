"""The corpus explorer: filter a corpus run's clips by metadata and results, open one in the
clip explorer.

It reads the corpus run's contract (see the corpus layer): `DIR/corpus/clips.parquet`, one
row per clip (`clip`, `video` (absolute path), `status`, `dominant`, `verdict`,
`face_coverage`, `persons`, `duration_s`, ... then the manifest's metadata columns, strings),
and each finished clip's analysis in `DIR/clips/<clip>/` (`emotions.parquet` +
`provenance.json`). Filtering is a pure function (`filter_clips`); the widget only calls it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from emohelpers.analysis.table import Analysis
from emohelpers.core.errors import EmoError, ParameterError, SchemaError

if TYPE_CHECKING:
    from emohelpers.lab.explorer import ClipExplorer

log = logging.getLogger(__name__)

CLIPS_TABLE = Path("corpus") / "clips.parquet"
CLIPS_DIR = "clips"
#: Columns the corpus run always writes; any other column of clips.parquet is metadata.
RESULT_COLUMNS: tuple[str, ...] = (
    "clip",
    "video",
    "status",
    "error",
    "skipped",
    "seconds",
    "duration_s",
    "fps",
    "frames_analysed",
    "frames_with_face",
    "face_coverage",
    "faces",
    "persons",
    "names",
    "main_person",
    "dominant",
    "valence_score",
    "verdict",
    "model",
    "device",
    "analysis_seconds",
    "frames_per_s",
    "report",
    "worker",
    "video_sha256",
)
#: Columns shown in the explorer's table, when present, before the metadata.
SHOWN_COLUMNS: tuple[str, ...] = (
    "clip",
    "status",
    "duration_s",
    "persons",
    "names",
    "face_coverage",
    "dominant",
    "verdict",
    "valence_score",
    "model",
)
ANY = "(any)"


def load_clips(out_dir: str | Path) -> pd.DataFrame:
    """A corpus run's `corpus/clips.parquet`.

    Raises:
        SchemaError: when it is missing or lacks the `clip` and `status` columns.
    """
    path = Path(out_dir) / CLIPS_TABLE
    if not path.is_file():
        raise SchemaError(
            f"{path}: not found; run a corpus first (`emohelpers corpus VIDEOS --out {out_dir}`)"
        )
    clips = pd.read_parquet(path)
    missing = {"clip", "status"} - set(clips.columns)
    if missing:
        raise SchemaError(f"{path}: no column(s) {sorted(missing)}; not a corpus clips table")
    return clips


def metadata_columns(clips: pd.DataFrame) -> list[str]:
    """The manifest's metadata columns of a clips table (those the run did not compute)."""
    return [c for c in clips.columns if c not in RESULT_COLUMNS]


def filter_clips(
    clips: pd.DataFrame,
    *,
    status: Sequence[str] | None = None,
    dominant: Sequence[str] | None = None,
    verdict: Sequence[str] | None = None,
    min_coverage: float = 0.0,
    min_persons: int = 0,
    name_contains: str = "",
    metadata: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The clips that pass every filter given (None or empty means no filter).

    Args:
        clips: a clips table (`load_clips`); not modified.
        status: keep these statuses ("ok", "failed", "pending").
        dominant: keep clips whose main person's dominant emotion is one of these.
        verdict: keep these valence verdicts.
        min_coverage: keep clips with `face_coverage` >= this, in [0, 1] (0 keeps clips
            without a coverage, e.g. failed ones).
        min_persons: keep clips with at least this many persons.
        name_contains: keep clips whose name contains this text (case-insensitive).
        metadata: column -> the values kept, for the manifest's metadata columns.

    Returns:
        The rows kept, in their order.

    Raises:
        ParameterError: a metadata column that the table does not have, or a coverage
            outside [0, 1].
    """
    if not 0.0 <= min_coverage <= 1.0:
        raise ParameterError(f"min_coverage={min_coverage!r}: must be in [0, 1]")
    keep = pd.Series(True, index=clips.index)
    for column, values in (("status", status), ("dominant", dominant), ("verdict", verdict)):
        if values and column in clips:
            keep &= clips[column].isin(list(values)).fillna(False).astype(bool)
    if min_coverage > 0 and "face_coverage" in clips:
        keep &= (clips["face_coverage"] >= min_coverage).fillna(False).astype(bool)
    if min_persons > 0 and "persons" in clips:
        keep &= (clips["persons"] >= min_persons).fillna(False).astype(bool)
    if name_contains:
        found = clips["clip"].astype(str).str.contains(name_contains, case=False, regex=False)
        keep &= found
    for column, values in (metadata or {}).items():
        if column not in clips:
            raise ParameterError(
                f"metadata column {column!r}: not in the clips table {metadata_columns(clips)}"
            )
        if values:
            keep &= clips[column].isin(list(values)).fillna(False).astype(bool)
    return clips[keep]


def clip_analysis_dir(out_dir: str | Path, clip: str) -> Path:
    """`DIR/clips/<clip>`: the folder of a clip's analysis."""
    return Path(out_dir) / CLIPS_DIR / clip


def _blank_missing(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with missing values (`<NA>`, None, NaN) as empty cells, floats kept as floats
    (`to_html`'s `na_rep` covers float NaN only, not pandas' NA in text and integer columns).
    """
    shown = table.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):  # Float64's NA too: NaN, then ""
            shown[column] = shown[column].astype("float64")
        else:
            values = shown[column].astype(object)
            shown[column] = values.where(values.notna(), "")
    return shown


def _choices(series: pd.Series) -> list[str]:
    return sorted(str(v) for v in series.dropna().unique())


class CorpusExplorer:
    """Filter a corpus run's clips and open one in the clip explorer.

    Args:
        out_dir: the corpus run's output folder (`DIR`).

    Attributes:
        clips: the whole clips table.
        shown: the rows passing the current filters.
        widget: the `ipywidgets.VBox` to display (the explorer displays as it).
        explorer: the `ClipExplorer` of the clip opened last (None before).
    """

    def __init__(self, out_dir: str | Path) -> None:
        import ipywidgets as w  # widgets only where a notebook runs

        self.out_dir = Path(out_dir)
        self.clips = load_clips(self.out_dir)
        self.shown = self.clips
        self.explorer: ClipExplorer | None = None
        self._filters: dict[str, Any] = {}
        row: list[Any] = []
        for column in ("status", "dominant", "verdict", *metadata_columns(self.clips)):
            if column in self.clips:
                options = [ANY, *_choices(self.clips[column])]
                box = w.Dropdown(options=options, description=column, layout={"width": "230px"})
                self._filters[column] = box
                row.append(box)
        self.coverage = w.FloatSlider(0.0, min=0.0, max=1.0, step=0.05, description="min coverage")
        self.name = w.Text(placeholder="part of a clip name", description="clip")
        self.count = w.HTML()
        self.table = w.HTML()
        self.table.add_class("emo-corpus-table")
        self.pick = w.Dropdown(description="open", layout={"width": "360px"})
        self.pick.add_class("emo-corpus-pick")
        open_button = w.Button(description="open in the explorer", icon="film")
        open_button.on_click(lambda _: self.open(self.pick.value))
        self.output = w.Output()
        for control in [*self._filters.values(), self.coverage, self.name]:
            control.observe(lambda _change: self.refresh(), names="value")
        self.widget = w.VBox(
            [
                w.HBox(row, layout={"flex_flow": "row wrap"}),
                w.HBox([self.coverage, self.name]),
                self.count,
                self.table,
                w.HBox([self.pick, open_button]),
                self.output,
            ]
        )
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.widget._repr_mimebundle_(**kwargs)

    def filters(self) -> dict[str, Any]:
        """The current filters as `filter_clips` keyword arguments."""
        chosen = {c: [b.value] for c, b in self._filters.items() if b.value != ANY}
        meta = {c: v for c, v in chosen.items() if c not in ("status", "dominant", "verdict")}
        return {
            "status": chosen.get("status"),
            "dominant": chosen.get("dominant"),
            "verdict": chosen.get("verdict"),
            "min_coverage": float(self.coverage.value),
            "name_contains": self.name.value.strip(),
            "metadata": meta,
        }

    def refresh(self) -> pd.DataFrame:
        """Apply the filters: update the count, the table and the clips that can be opened."""
        self.shown = filter_clips(self.clips, **self.filters())
        self.count.value = f"<b>{len(self.shown)}</b> of {len(self.clips)} clips"
        columns = [c for c in SHOWN_COLUMNS if c in self.shown]
        columns += metadata_columns(self.shown)
        self.table.value = _blank_missing(self.shown[columns]).to_html(
            index=False, na_rep="", float_format=lambda v: f"{v:.2f}", border=0
        )
        ok = self.shown[self.shown["status"] == "ok"]["clip"].astype(str).tolist()
        self.pick.options = ok
        self.pick.value = ok[0] if ok else None
        return self.shown

    def open(self, clip: str | None):
        """Open a finished clip in a `ClipExplorer` below the table; return the explorer.

        Raises:
            ParameterError: for a clip that is not in the table or not finished.
        """
        import ipywidgets as w  # widgets only where a notebook runs

        from emohelpers.lab.explorer import ClipExplorer  # its video reader when a clip opens

        rows = self.clips[self.clips["clip"] == clip]
        if clip is None or rows.empty or rows["status"].iloc[0] != "ok":
            raise ParameterError(f"clip {clip!r}: not a finished clip of {self.out_dir}")
        video = Path(str(rows["video"].iloc[0]))
        # Reading the analysis and the first frame takes seconds: say so at once (one
        # assignment, so that the area never shows blank in between).
        self.output.outputs = (
            {"output_type": "stream", "name": "stdout", "text": f"loading {clip}...\n"},
        )
        try:
            analysis = Analysis.load(clip_analysis_dir(self.out_dir, clip))
            if self.explorer is not None:
                self.explorer.close()
            self.explorer = ClipExplorer(video, analysis)
        except EmoError as exc:
            self.output.outputs = ()
            self.output.append_stdout(f"{clip}: cannot open it: {exc}\n")
            return None
        title = f"<h3>{html.escape(clip)}</h3>"
        self.output.outputs = ()
        self.output.append_display_data(w.VBox([w.HTML(title), self.explorer.widget]))
        return self.explorer
