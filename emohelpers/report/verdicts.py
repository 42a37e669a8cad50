"""The faces a report's verdicts rest on: those at or above the run's `min_quality`.

Findings, summaries, strongest moments, key figures and voice agreement read
`for_verdicts(analysis, params)`; the timelines read the whole table and draw the faces
left out in grey, and `left_out_text` says how many there are.
"""

from __future__ import annotations

import dataclasses

from emohelpers.analysis.table import Analysis
from emohelpers.report.parameters import ReportParameters
from emohelpers.summaries.readable import readable, unreadable


def for_verdicts(analysis: Analysis, params: ReportParameters) -> Analysis:
    """The analysis with the faces below `params.settings.min_quality` taken out of its table
    (frames left without a face keep a face-less row; the voice table is unchanged)."""
    return dataclasses.replace(
        analysis, table=readable(analysis.table, params.settings.min_quality)
    )


def left_out_text(analysis: Analysis, params: ReportParameters) -> str:
    """One sentence: how many faces are below `min_quality`, and what that means."""
    table, q = analysis.table, params.settings.min_quality
    faces = int(table["face"].notna().sum())
    out = int(unreadable(table, q).sum())
    if not faces:
        return ""
    if not out:
        return f"Every face reaches the quality threshold min_quality = {q:g}."
    return (
        f"{out} of {faces} faces ({out / faces:.0%}) are below the quality threshold "
        f"min_quality = {q:g} (too small, blurred, turned away, badly exposed or doubtful to "
        "the detector): they stay in the table and are drawn grey on the timelines, but no "
        "verdict, share, interval or moment rests on them."
    )
