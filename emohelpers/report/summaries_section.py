"""Section "summaries" of the per-clip report: turning points (those at a cut marked), the
valence verdict per person, the clip in time windows. Every column and axis names its
unit; long tables are collapsible; a turning point's time seeks the player."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from emohelpers.analysis.table import Analysis
from emohelpers.figures import core_figures as figures
from emohelpers.figures import summary_figures
from emohelpers.figures.theme import person_label
from emohelpers.report.findings_section import cuts_of, seek_link
from emohelpers.report.html import details_html, figure_html
from emohelpers.report.parameters import ReportParameters
from emohelpers.report.verdicts import for_verdicts
from emohelpers.summaries import summary, valence
from emohelpers.summaries.findings import AT_CUT, clip_turning_points


def _html_table(df: pd.DataFrame) -> str:
    if "person" in df:
        df = df.assign(person=df["person"].map(person_label))
    return df.to_html(index=False, float_format="{:.2f}".format, border=0, na_rep="", escape=False)


def turning_table(turns: pd.DataFrame) -> pd.DataFrame:
    """The turning points for reading: units in the column names, "held (s)" for a change,
    "rise (probability)" for a rise, "at a cut" marked; times as links that seek."""
    change = turns["kind"] == "change"
    return pd.DataFrame(
        {
            "person": turns["person"],
            "time (s)": [seek_link(t, f"{t:.2f}") for t in turns["time_s"]],
            "kind": turns["kind"],
            "from": turns["from_emotion"].where(change, ""),
            "to": turns["emotion"],
            "held (s)": turns["value"].where(change, np.nan),
            "rise (probability)": turns["value"].where(~change, np.nan),
            "edit?": np.where(turns["at_cut"], AT_CUT, ""),
        }
    )


def show_summaries(analysis: Analysis, params: ReportParameters) -> dict[str, Any]:
    """Section "summaries": turning points, valence per person, windows."""
    if "summaries" not in params.sections:
        display(Markdown("*Section `summaries` not included (parameter `sections`).*"))
        return {}
    table = for_verdicts(analysis, params).table
    if table["person"].isna().all():
        display(Markdown("*No face was found in the analysed frames: nothing to summarise.*"))
        return {}
    cuts = cuts_of(analysis)
    turns = clip_turning_points(table, params.smooth_s, cuts, params.cut_margin_s)
    smoothed = summary.smooth(table, "moving", window_s=params.smooth_s)
    persons = sorted(float(p) for p in table["person"].dropna().unique())
    timeline = figures.timeline_figure(smoothed, cuts_s=cuts)
    fig = summary_figures.add_turning_points(timeline, turns, persons)
    fig.update_layout(title=f"Smoothed over {params.smooth_s:g} s, with turning points")
    at_cut = int(turns["at_cut"].sum()) if len(turns) else 0
    display(
        Markdown(
            f"**Turning points** on probabilities smoothed over {params.smooth_s:g} s: dashed "
            "lines are lasting changes of the top emotion, triangles sharp rises, grey lines "
            f"shot cuts; a turning point within {params.cut_margin_s:g} s of a cut is marked "
            f"*{AT_CUT}* (it records the edit) and left out of the findings"
            f"{f' ({at_cut} here)' if at_cut else ''}."
        )
    )
    display(fig)
    if len(turns):
        body = _html_table(turning_table(turns))
        display(HTML(details_html(f"Table of the {len(turns)} turning points", body)))
    else:
        display(Markdown("*No turning point.*"))

    verdicts = valence.valence_verdict(
        table, params.valence_mapping, level="person", margin=params.valence_margin
    )
    display(
        Markdown(
            f"**Valence verdict per person** (mapping `{params.valence_mapping}`): score = "
            "mean positive − mean negative probability, in [−1, 1]; the verdict needs "
            f"|score| > {params.valence_margin:g} (the findings give its interval)."
        )
    )
    valence_fig = summary_figures.valence_figure(verdicts, margin=params.valence_margin)
    cols = {
        "person": "person",
        "n_faces": "faces (frames)",
        "mean_positive": "positive (mean probability)",
        "mean_negative": "negative (mean probability)",
        "score": "score (probability)",
        "margin": "|score| (probability)",
        "verdict": "valence verdict",
    }
    verdict_table = _html_table(verdicts[list(cols)].rename(columns=cols))
    chart = details_html("Chart of the valence scores", figure_html(valence_fig, height=300))
    display(HTML(verdict_table + chart))

    win = summary.windows(table, window_s=params.window_s)
    wcols = {
        "window_start_s": "start (s)",
        "window_end_s": "end (s)",
        "person": "person",
        "n_face_frames": "face frames",
        "dominant_vote": "dominant (by vote)",
    }
    body = figure_html(summary_figures.windows_figure(win)) + _html_table(
        win[list(wcols)].rename(columns=wcols)
    )
    title = f"Windows of {params.window_s:g} s: mean probabilities and the dominant emotion"
    display(HTML(details_html(title, body)))
    return {"windows": win, "verdicts": verdicts, "turning_points": turns}
