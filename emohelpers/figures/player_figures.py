"""Figures of the report's synchronised player: the live radar that follows the video.

The live radar is an ordinary Plotly radar whose `layout.meta["emo_radar"]` carries the
probabilities of every analysed frame (`times_s`, and per trace one row of seven per frame,
None where that person's face was not seen). The page's player script
(`report.player_script`) redraws it at the analysed frame shown at the video's current time
(the last one at or before it: the radar is held between analysed frames, as in the
annotated video). Without the script (a notebook, a static export) it shows the first frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.figures.core_figures import radar_polar_layout, radar_trace
from emohelpers.figures.theme import apply_theme, person_color, person_label

#: The `layout.meta` key the player script looks for.
RADAR_META = "emo_radar"
#: Decimals of the embedded probabilities (the page stays small).
DECIMALS = 3


def frame_probabilities(table: pd.DataFrame, person: float) -> tuple[np.ndarray, np.ndarray]:
    """(times_s (n,), probs (n, 7)) of every analysed frame; NaN rows where `person`'s face
    was not seen (the first face of that person in a frame, as the radars show)."""
    analysed = table.drop_duplicates("frame").sort_values("frame")
    seen = table[table["person"] == person].drop_duplicates("frame").set_index("frame")
    probs = seen[list(EMOTIONS)].reindex(analysed["frame"]).to_numpy(dtype=np.float64)
    return analysed["time_s"].to_numpy(dtype=np.float64), probs


def _rows(probs: np.ndarray) -> list[list[float] | None]:
    return [None if np.isnan(r).any() else [round(float(v), DECIMALS) for v in r] for r in probs]


def live_radar_figure(table: pd.DataFrame, persons: list[float] | None = None) -> go.Figure:
    """The radar of the frame the video shows, for the page's player.

    Args:
        table: the emotion table.
        persons: the track ids drawn (one trace each); default every person.

    Returns:
        A radar (range [0, 1]) drawn at the first analysed frame, carrying every frame's
        probabilities in `layout.meta[RADAR_META]` = {"times_s": [...], "traces": [[row or
        None per frame] per trace]}.
    """
    validate_table(table)
    if persons is None:
        persons = sorted(float(p) for p in table["person"].dropna().unique())
    fig = go.Figure()
    traces = []
    times = np.unique(table["time_s"].to_numpy(dtype=np.float64))
    for p in persons:
        times, probs = frame_probabilities(table, p)
        rows = _rows(probs)
        traces.append(rows)
        first = next((np.asarray(r) for r in rows if r is not None), np.full(7, np.nan))
        fig.add_trace(radar_trace(first, person_label(p), person_color(p)))
    meta = {"times_s": [round(float(t), 4) for t in times], "traces": traces}
    fig.update_layout(
        polar=radar_polar_layout(),
        title="At the video's time",
        height=360,
        margin={"l": 40, "r": 40, "t": 50, "b": 30},
        showlegend=True,
        legend={"orientation": "h", "y": -0.05},
        meta={RADAR_META: meta},
    )
    return apply_theme(fig)
