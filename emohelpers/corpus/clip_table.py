"""Tables of the corpus report: one row per clip (or per person in a clip), sortable and
filterable in the page with a few lines of plain JavaScript (no library, works offline).

Every cell is text from the user's files (clip names, metadata, errors) and is escaped;
links are relative to the corpus report (`DIR/corpus/index.html`).
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path
from typing import Any

import pandas as pd

from emohelpers.core.persons import person_label
from emohelpers.corpus import dataset

#: Columns of `clip_rows` before the metadata columns.
CLIP_TABLE_COLUMNS: tuple[str, ...] = (
    "clip",
    "status",
    "dominant",
    "valence_score",
    "verdict",
    "face_coverage_pct",
    "persons",
    "frames_analysed",
)
_IDS = itertools.count(1)

# Sorting: numbers by value (empty cells last), text by locale; filtering: every row whose
# text holds the query (case-insensitive). One script per table, keyed by its id.
_SCRIPT = """<script>
(function () {
  const table = document.getElementById("%(id)s");
  const input = document.getElementById("%(id)s-filter");
  const body = table.tBodies[0];
  const key = (row, i) => {
    const cell = row.cells[i];
    const v = cell.dataset.value;
    return v === undefined ? cell.textContent.trim() : (v === "" ? null : Number(v));
  };
  table.querySelectorAll("th").forEach((th, i) => {
    th.style.cursor = "pointer";
    th.addEventListener("click", () => {
      const up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a, i), y = key(b, i);
        if (x === null || y === null) return (x === null) - (y === null);
        const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return up ? c : -c;
      });
      rows.forEach(r => body.appendChild(r));
    });
  });
  input.addEventListener("input", () => {
    const q = input.value.toLowerCase();
    Array.from(body.rows).forEach(r => {
      r.style.display = r.textContent.toLowerCase().includes(q) ? "" : "none";
    });
  });
})();
</script>"""


def report_link(out_dir: str | Path, report: Any) -> str | None:
    """The clip report's link from the corpus report (`../clips/<clip>/report.html`) when
    `clips.parquet` names one and the file exists, else None."""
    if report is None or pd.isna(report) or not (Path(out_dir) / str(report)).is_file():
        return None
    return f"../{report}"


def clip_rows(
    clips: pd.DataFrame,
    out_dir: str | Path | None = None,
    units: pd.DataFrame | None = None,
    person: str | None = None,
) -> pd.DataFrame:
    """The per-clip table: `CLIP_TABLE_COLUMNS`, the metadata columns, and `href` (the clip
    report's link, None where there is none; always None without `out_dir`).

    Args:
        clips: `clips.parquet`'s table.
        out_dir: the corpus run's folder (to find the clip reports).
        units: `summaries.units.person_units` of the corpus, by the key `person` (e.g.
            `name`): adds a column named after the key listing each clip's persons, most
            seen first.
        person: the person key column of `units`.
    """
    meta = [c for c in clips.columns if c not in dataset.CLIP_DTYPES]
    out = pd.DataFrame(
        {
            "clip": clips["clip"].astype(object),
            "status": clips["status"].astype(object),
            "dominant": clips["dominant"].astype(object),
            "valence_score": clips["valence_score"].astype(float),
            "verdict": clips["verdict"].astype(object),
            "face_coverage_pct": 100 * clips["face_coverage"].astype(float),
            "persons": clips["persons"].astype("Float64").astype(float),
            "frames_analysed": clips["frames_analysed"].astype("Float64").astype(float),
        }
    )
    for column in meta:
        out[column] = clips[column].astype(object)
    if units is not None and person is not None:
        ordered = units.sort_values("n_face_frames", ascending=False, kind="stable")
        who = ordered.groupby("clip", sort=False)[person].agg(lambda v: ", ".join(map(str, v)))
        out.insert(1, person, out["clip"].map(who).astype(object))
    reports = clips["report"] if "report" in clips else pd.Series(None, index=clips.index)
    links = [None if out_dir is None else report_link(out_dir, r) for r in reports]
    out["href"] = pd.Series(links, index=out.index, dtype=object)
    return out.reset_index(drop=True)


def person_rows(units: pd.DataFrame, person: str) -> pd.DataFrame:
    """The per-person table from `summaries.units.person_units`: one row per person key in
    each clip; track ids (`person`) shown as "P1"."""
    out = units.copy()
    if person == "person":
        out[person] = [person_label(p) for p in out[person]]
    return out.reset_index(drop=True)


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return '<td data-value=""></td>'
    if isinstance(value, bool | str):
        return f"<td>{html.escape(str(value))}</td>"
    if isinstance(value, int | float):
        shown = (
            f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
        )
        return f'<td data-value="{float(value)!r}">{shown}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table_html(rows: pd.DataFrame, *, link: str = "clip", caption: str = "") -> str:
    """A sortable (click a heading), filterable (type in the box) HTML table of `rows`;
    the `link` column's cells link to the row's `href` where it has one.

    Args:
        rows: the table; an `href` column is used for the links, not shown.
        link: the column whose cells become links.
        caption: the table's caption (plain text).

    Returns:
        The HTML: a filter box, the table and its script.
    """
    table_id = f"emo-table-{next(_IDS)}"
    shown = [c for c in rows.columns if c != "href"]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown)
    body = []
    hrefs = rows["href"] if "href" in rows else pd.Series(None, index=rows.index)
    for (_, row), href in zip(rows.iterrows(), hrefs, strict=True):
        cells = []
        for column in shown:
            cell = _cell(row[column])
            if column == link and isinstance(href, str):
                text = html.escape(str(row[column]))
                cell = f'<td><a href="{html.escape(href, quote=True)}">{text}</a></td>'
            cells.append(cell)
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<input id="{table_id}-filter" type="search" placeholder="filter rows" '
        f'aria-label="filter rows" style="margin:0.5em 0;width:20em">'
        f'<table id="{table_id}" class="emo-sortable" border="0">{cap}<thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>" + _SCRIPT % {"id": table_id}
    )
