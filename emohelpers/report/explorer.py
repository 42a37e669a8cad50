"""The frame explorer widget: scrub through a clip's analysed frames in a notebook."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from emohelpers.analysis.frames import read_frames
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.images import jpeg_bytes
from emohelpers.figures import core_figures as figures
from emohelpers.figures.drawing import draw_boxes
from emohelpers.figures.theme import person_color, person_label
from emohelpers.report.html import figure_bundle


def frame_explorer(video: str | Path, table: pd.DataFrame, width: int = 640):
    """A widget to scrub through the analysed frames: the frame with its face boxes beside
    the radar of that frame's probabilities.

    Args:
        video: the video the table was made from.
        table: its emotion table.
        width: width of the shown frame, pixels.

    Returns:
        An `ipywidgets.VBox`: the slider above the frame and the radar; `.children[0]` is
        the slider (its value a frame index), `.update(frame)` redraws for a frame.
    """
    by_frame = dict(tuple(table.groupby("frame")))
    options = [
        (f"{rows['time_s'].iloc[0]:.2f} s (frame {f})", int(f)) for f, rows in by_frame.items()
    ]
    slider = widgets.SelectionSlider(options=options, description="time",
                                     layout={"width": "95%"}, continuous_update=False)  # fmt: skip
    image = widgets.Image(format="jpeg", layout={"width": f"{width}px"})
    radar = widgets.Output(layout={"width": "420px"})

    def update(frame: int) -> None:
        rgb = read_frames(video, [frame]).get(frame)
        rows = by_frame[frame]
        if rgb is not None:
            image.value = jpeg_bytes(draw_boxes(rgb, rows), width=width)
        faces = rows.dropna(subset=["person"])
        probs = {person_label(r["person"]): r[list(EMOTIONS)].to_numpy(float)
                 for _, r in faces.iterrows()}  # fmt: skip
        colors = {person_label(p): person_color(p) for p in faces["person"]}
        title = f"{rows['time_s'].iloc[0]:.2f} s" + ("" if probs else ": no face")
        fig = figures.radar_figure(probs, title=title, colors=colors)
        # Set the outputs directly: capturing with `with radar:` stalls headless runs.
        radar.outputs = ({"output_type": "display_data", "metadata": {},
                          "data": figure_bundle(fig)},)  # fmt: skip

    slider.observe(lambda change: update(change["new"]), names="value")
    box = widgets.VBox([slider, widgets.HBox([image, radar])])
    box.update = update
    if options:
        update(options[0][1])
    return box
