"""The clip report's shot table: one row per shot (start, end, frames, persons) with each
person's dominant emotion and valence score in it (`summaries.shots.shot_table`), part of
the "summaries" section, so that scenes compare without code.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown, display

from emohelpers.analysis.table import Analysis
from emohelpers.core.persons import person_label
from emohelpers.report.parameters import ReportParameters
from emohelpers.report.verdicts import for_verdicts
from emohelpers.summaries.shots import shot_table


def _who(value: Any, person: str) -> str:
    return person_label(value) if person == "person" else str(value)


def shot_rows(shots: pd.DataFrame, person: str = "person") -> pd.DataFrame:
    """One row per shot from `shot_table`'s rows (one per shot and person): `shot`,
    `start_s`, `end_s`, `n_frames`, `persons`, and `dominant` as "P1 happy (+0.42), P2 sad
    (-0.30)" (empty where nobody is seen)."""
    rows = []
    for shot, g in shots.groupby("shot", sort=True):
        seen = g.loc[g[person].notna()]
        rows.append(
            {
                "shot": int(shot),
                "start_s": float(g["start_s"].iloc[0]),
                "end_s": float(g["end_s"].iloc[0]),
                "n_frames": int(g["n_frames"].iloc[0]),
                "persons": int(g["persons"].iloc[0]),
                "dominant": ", ".join(
                    f"{_who(p, person)} {d} ({v:+.2f})"
                    for p, d, v in zip(
                        seen[person], seen["dominant"], seen["valence_score"], strict=True
                    )
                ),
            }
        )
    return pd.DataFrame(
        rows, columns=["shot", "start_s", "end_s", "n_frames", "persons", "dominant"]
    )


def show_shots(analysis: Analysis, params: ReportParameters) -> dict[str, Any]:
    """The shot table of the clip (in the "summaries" section); returns {"shots": count}."""
    if "summaries" not in params.sections:
        return {}
    table = for_verdicts(analysis, params).table  # the faces a verdict may rest on
    person = "name" if "name" in table and table["name"].notna().any() else "person"
    shots = shot_table(table, person, params.valence_mapping)
    rows = shot_rows(shots, person)
    display(
        Markdown(
            f"**Shots** ({len(rows)}, between cuts): each person's dominant emotion (by vote) "
            f"and valence score (mapping `{params.valence_mapping}`) within each shot."
        )
    )
    table = rows.to_html(index=False, float_format="{:.2f}".format, border=0, na_rep="")
    display(HTML(table if len(rows) else f"<p>{html.escape('No analysed frame.')}</p>"))
    return {"shots": len(rows)}
