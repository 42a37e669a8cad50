"""The clip explorer: scrub a clip's analysed frames in JupyterLab.

One widget: a slider over the analysed frames; the frame with its face boxes and the radar
of that frame's probabilities (both images, redrawn in milliseconds: the frame comes from
`FrameReader`, which seeks, and the radar is drawn on a background exported once); the
timeline with a cursor at the current time (a Plotly `FigureWidget`, whose cursor moves
without redrawing the lines; click a line to jump there); jumps to any person's strongest
moment of any emotion; a segment around the current time played with its sound; and the
saliency map of a face of the current frame, on demand.
"""

from __future__ import annotations

import html
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import Video

from emohelpers.analysis.frames import FrameReader
from emohelpers.analysis.provenance import Provenance
from emohelpers.analysis.table import EMOTIONS, Analysis, validate_table
from emohelpers.core.errors import EmoError, ParameterError
from emohelpers.core.images import jpeg_bytes
from emohelpers.core.persons import labels_of
from emohelpers.figures.core_figures import timeline_figure
from emohelpers.figures.drawing import draw_boxes
from emohelpers.figures.radar_panel import draw_radar, panel_geometry, radar_background
from emohelpers.figures.reels import cut_segment, highlight_reel
from emohelpers.figures.theme import person_color, person_label
from emohelpers.report.html import figure_bundle
from emohelpers.summaries.moments import strongest_moments

log = logging.getLogger(__name__)

#: Height of the radar panel, pixels.
RADAR_HEIGHT = 320


class ClipExplorer:
    """Scrub through one clip's analysed frames (see the module's docstring).

    Args:
        video: the video the table was made from.
        analysis: its `Analysis` (table and provenance), or the emotion table alone.
        width: width of the shown frame, pixels.
        work_dir: folder of the segments cut for playing (default: a temporary folder).
        classifier: the classifier whose saliency maps are shown (default: the analysis's,
            the process's shared one, loaded on the first request unless the analysis
            already loaded it).
        device: device of that classifier.

    Attributes:
        widget: the `ipywidgets.VBox` to display (the explorer displays as it).
        frames: (n,) int64 analysed source frame indices, ascending; the slider's value is a
            position in it.
        last_update_s: seconds the last redraw took (frame, boxes, radar, cursor).

    Raises:
        ParameterError: for a table without rows.
    """

    def __init__(
        self,
        video: str | Path,
        analysis: Analysis | pd.DataFrame,
        *,
        width: int = 640,
        work_dir: str | Path | None = None,
        classifier: Any = None,
        device: str = "auto",
    ) -> None:
        import ipywidgets as w  # widgets only where a notebook runs

        # A bare table has no provenance: the explorer falls back on the default settings'.
        if isinstance(analysis, Analysis):
            table, self.provenance = analysis.table, analysis.provenance
        else:
            table, self.provenance = analysis, Provenance()
        validate_table(table)
        if table.empty:
            raise ParameterError(f"{Path(video).name}: the emotion table has no rows to explore")
        if isinstance(analysis, Analysis):  # frames read back must be the analysed video's
            video = analysis.video_file(video)
        self.video, self.table, self.width = Path(video), table, width
        self.reader = FrameReader(self.video)
        self._classifier, self._device = classifier, device
        self._work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="emo-explore-"))
        frame_col = table["frame"].to_numpy()
        self.frames = np.unique(frame_col)
        self._starts = np.searchsorted(frame_col, self.frames, side="left")
        self._ends = np.searchsorted(frame_col, self.frames, side="right")
        self.times_s = table["time_s"].to_numpy()[self._starts]
        self.persons = sorted(float(p) for p in table["person"].dropna().unique())
        self._colors = {p: person_color(p) for p in self.persons}
        self._labels = labels_of(table)  # the cast's names beside the ids
        traces = tuple((self._labels[p], c) for p, c in self._colors.items())
        self._radar_bg = radar_background(RADAR_HEIGHT, traces)
        _, _, self._geo = panel_geometry(RADAR_HEIGHT)
        self._moments = strongest_moments(table) if self.persons else None
        self.last_update_s = float("nan")

        self.slider = w.IntSlider(
            0,
            0,
            len(self.frames) - 1,
            description="frame #",
            continuous_update=False,
            readout=False,
            layout={"width": "70%"},
        )
        self.slider.add_class("emo-slider")
        back, forward = (
            w.Button(icon="step-backward", layout={"width": "40px"}),
            w.Button(icon="step-forward", layout={"width": "40px"}),
        )
        back.on_click(lambda _: self.step(-1))
        forward.on_click(lambda _: self.step(1))
        self.label = w.HTML()
        self.label.add_class("emo-label")
        self.image = w.Image(format="jpeg", layout={"width": f"{width}px"})
        self.image.add_class("emo-frame")
        self.radar = w.Image(format="jpeg", layout={"width": f"{self._radar_bg.shape[1]}px"})
        self.radar.add_class("emo-radar")

        labels: list[tuple[str, float | None]] = [(self._labels[p], p) for p in self.persons]
        labels = labels or [("no face", None)]
        self.person = w.Dropdown(options=labels, description="person", layout={"width": "180px"})
        self.emotion = w.Dropdown(
            options=list(EMOTIONS), value="happy", description="emotion", layout={"width": "200px"}
        )
        jump = w.Button(description="strongest moment", icon="crosshairs")
        jump.on_click(lambda _: self.jump_to_strongest(self.person.value, self.emotion.value))
        self.span = w.BoundedFloatText(
            4.0, min=0.5, max=60.0, step=0.5, description="seconds", layout={"width": "160px"}
        )
        play = w.Button(description="play with sound", icon="play")
        play.on_click(lambda _: self.play_segment())
        explain = w.Button(description="saliency map", icon="eye")
        explain.on_click(lambda _: self.show_saliency())
        self.player = w.Output()
        self.saliency = w.Output()
        self.timeline = self._timeline()

        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = w.VBox(
            [
                w.HBox([back, self.slider, forward]),
                self.label,
                w.HBox([self.image, self.radar if self.persons else self._no_face_note()]),
                w.HBox([self.person, self.emotion, jump, self.span, play, explain]),
                w.HBox([self.player, self.saliency]),
                self.timeline,
            ]
        )
        self.show(0)

    # --- display ---------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.widget._repr_mimebundle_(**kwargs)

    def _no_face_note(self):
        """One line where the radar would be, for a clip where no face was found."""
        import ipywidgets as w  # widgets only where a notebook runs

        note = w.HTML("<i>No face found in the analysed frames: no radar to show.</i>")
        note.add_class("emo-radar-note")
        return note

    def rows(self, position: int) -> pd.DataFrame:
        """The table rows of the analysed frame at slider position `position`."""
        return self.table.iloc[self._starts[position] : self._ends[position]]

    def show(self, position: int) -> None:
        """Redraw the frame, its radar, the label and the timeline cursor for a position."""
        t0 = time.perf_counter()
        position = int(position)
        frame, time_s = int(self.frames[position]), float(self.times_s[position])
        rows = self.rows(position)
        rgb = self.reader.frame(frame)
        self.image.value = jpeg_bytes(draw_boxes(rgb, rows), self.width, quality=85)
        faces = rows.dropna(subset=["person"]).drop_duplicates("person")
        polygons = [
            (r[list(EMOTIONS)].to_numpy(np.float64), self._colors[float(r["person"])])
            for _, r in faces.iterrows()
        ]
        self.radar.value = jpeg_bytes(draw_radar(self._radar_bg, self._geo, polygons), quality=90)
        seen = ", ".join(
            f"<b>{html.escape(self._labels[float(r['person'])])}</b> {r['emotion']} "
            f"{float(r[r['emotion']]):.2f}"
            for _, r in faces.iterrows()
        )
        self.label.value = f"{time_s:.2f} s &middot; frame {frame} &middot; {seen or 'no face'}"
        if self.timeline is not None:
            with self.timeline.batch_update():
                self.timeline.layout.shapes[-1].update(x0=time_s, x1=time_s)
        self.last_update_s = time.perf_counter() - t0

    def step(self, delta: int) -> None:
        """Move the slider by `delta` analysed frames."""
        self.slider.value = int(np.clip(self.slider.value + delta, 0, len(self.frames) - 1))

    def go_to_time(self, time_s: float) -> int:
        """Move the slider to the analysed frame nearest `time_s`; return its position."""
        position = int(np.argmin(np.abs(self.times_s - float(time_s))))
        self.slider.value = position
        return position

    def jump_to_strongest(self, person: float | None, emotion: str) -> int | None:
        """Move to the frame where `person`'s `emotion` peaks; return its position."""
        if person is None or self._moments is None:
            return None
        m = self._moments[
            (self._moments["person"] == float(person)) & (self._moments["emotion"] == emotion)
        ]
        if m.empty:
            raise ParameterError(f"{person_label(person)} / {emotion}: not in this clip's table")
        position = int(np.searchsorted(self.frames, int(m["frame"].iloc[0])))
        self.slider.value = position
        return position

    def _timeline(self):
        fig = timeline_figure(self.table)
        fig.add_vline(x=float(self.times_s[0]), line={"color": "#444", "width": 1.5})
        widget = go.FigureWidget(fig)
        for trace in widget.data:
            trace.on_click(
                lambda _trace, points, _state: points.xs and self.go_to_time(points.xs[0])
            )
        return widget

    # --- on demand -------------------------------------------------------------------------

    def segment_around(self, time_s: float | None = None) -> tuple[float, float]:
        """`span` seconds around `time_s` (default: the current frame's), inside the clip."""
        t = float(self.times_s[self.slider.value]) if time_s is None else float(time_s)
        half = float(self.span.value) / 2
        end_clip = float(self.reader.times_s[-1]) + 1e-3
        start = max(0.0, min(t - half, end_clip - 2 * half))
        return start, min(end_clip, start + 2 * half)

    def play_segment(self) -> Path | None:
        """Cut the segment around the current frame with its sound and show a player."""
        import ipywidgets as w  # widgets only where a notebook runs

        start, end = self.segment_around()
        out = self._work / f"segment-{start:.2f}-{end:.2f}.mp4"
        try:
            if not out.is_file():
                cut_segment(self.video, start, end, out, self.table)
        except EmoError as exc:
            self.player.outputs = ()
            self.player.append_stdout(f"cannot cut the segment: {exc}\n")
            return None
        video = w.Video(
            value=out.read_bytes(),
            format="mp4",
            autoplay=False,
            controls=True,
            layout={"width": "480px"},
        )
        self.player.outputs = ()
        self.player.append_display_data(video)
        return out

    def _load_classifier(self):
        if self._classifier is None:
            # torch only when a saliency map is asked for
            from emohelpers.analysis.analyzer import shared_classifier

            name = self.provenance.classifier.get("name") or "mini-xception"
            self._classifier = shared_classifier(name, self._device)
        return self._classifier

    def show_saliency(self, method: str = "gradcam") -> Any:
        """Explain the selected person's face in the current frame (the largest face when
        that person is not in it) and show the maps; return the figure, None without a face."""
        # torch only when a saliency map is asked for
        from emohelpers.analysis.detect import crop_faces  # torch
        from emohelpers.explain.methods import explain  # torch
        from emohelpers.figures.explanation import explanation_figure  # torch

        rows = self.rows(self.slider.value).dropna(subset=["person"])
        self.saliency.outputs = ()
        if rows.empty:
            self.saliency.append_stdout("no face in this frame\n")
            return None
        chosen = rows[rows["person"] == self.person.value]
        row = (chosen if not chosen.empty else rows).iloc[0]
        frame = int(self.frames[self.slider.value])
        box = row[["x1", "y1", "x2", "y2"]].to_numpy(np.float64)[None]
        margin = float(
            self.provenance.detector.get("margin", self.provenance.settings.detector.margin)
        )
        crop = crop_faces(self.reader.frame(frame), box, margin)[0]
        result = explain(self._load_classifier(), [crop], method=method)
        title = f"{person_label(row['person'])} at {float(row['time_s']):.2f} s ({method})"
        fig = explanation_figure(crop, result.maps_by_emotion(0), result.probs[0], title=title)
        self.saliency.outputs = (
            {"output_type": "display_data", "metadata": {}, "data": figure_bundle(fig)},
        )
        return fig

    def reel(self, emotion: str, out_dir: str | Path | None = None, person: float | None = None):
        """The highlight reel of a person's strongest moments of `emotion`, to display.

        Args:
            emotion: one of `EMOTIONS`.
            out_dir: where the reel is saved, as `reel-P<id>-<emotion>.mp4` (default: the
                explorer's work folder); an existing reel is reused.
            person: the track id (default: the person selected in the explorer).

        Returns:
            An `IPython.display.Video` (embedded, with controls), or a short text when the
            clip has no face.
        """
        person = self.person.value if person is None else person
        if person is None:
            return "no face in this clip: no reel"
        out = Path(out_dir or self._work) / f"reel-{person_label(person)}-{emotion}.mp4"
        if not out.is_file():
            highlight_reel(self.video, self.table, person, emotion, out)
        return Video(str(out), embed=True, html_attributes="controls")

    def close(self) -> None:
        """Close the video file and the widgets."""
        self.reader.close()
        self.widget.close()
