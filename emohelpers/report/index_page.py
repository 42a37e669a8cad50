"""Presentation for notebooks and pages: the offline Plotly renderer, embedded images, the
video element, the frame explorer widget, the exported report page and `index.html`.

Every page works offline and anywhere: images are data URIs or files beside the page,
links are relative, nothing is fetched from a CDN and no absolute path of the machine
appears.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image
from plotly.io.base_renderers import HtmlRenderer

from emohelpers.core.errors import EmoError

if TYPE_CHECKING:
    import pandas as pd

    from emohelpers.report.run import ClipResult

log = logging.getLogger(__name__)

INDEX_FILE = "index.html"
RENDERER_NAME = "emohelpers_offline"
THUMBNAIL_FILE = "thumb.jpg"


def image_data_uri(rgb: np.ndarray, width: int | None = None, quality: int = 82) -> str:
    """A JPEG data URI of an RGB image, scaled down to `width` pixels if given.

    Args:
        rgb: (h, w, 3) uint8 RGB pixels.
        width: target width in pixels (never scaled up); None keeps the size.
        quality: JPEG quality, 1-95.
    """
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if width and image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def video_html(file_name: str, width: int = 960) -> str:
    """A `<video controls>` element for a video beside the page, referenced relatively."""
    src = html.escape(quote(file_name), quote=True)
    return (
        f'<video controls preload="metadata" style="max-width:100%" width="{width}" '
        f'src="{src}">Your browser cannot play <a href="{src}">{src}</a>.</video>'
    )


class OfflineRenderer(HtmlRenderer):
    """Plotly renderer for reports read offline: plotly.js inline once, no CDN, no MathJax.

    Plotly's own "notebook" renderer embeds plotly.js but still loads MathJax from a CDN
    with every figure; this one does not.

    Args:
        with_json: also put the figure JSON in each output, for JupyterLab's Plotly renderer.
    """

    def __init__(self, with_json: bool = False) -> None:
        super().__init__(connected=False, full_html=False, global_init=True,
                         include_plotlyjs=False, config={"displaylogo": False})  # fmt: skip
        self.with_json = with_json

    def to_mimebundle(self, fig_dict: dict) -> dict[str, Any]:
        html_div = pio.to_html(
            fig_dict, config=self.config, include_plotlyjs=False, include_mathjax=False,
            full_html=False, default_width="100%", default_height=525, validate=False,
        )  # fmt: skip
        bundle: dict[str, Any] = {"text/html": html_div}
        if self.with_json:
            bundle.update(pio.renderers["plotly_mimetype"].to_mimebundle(fig_dict))
        return bundle


def figure_bundle(fig: go.Figure, with_json: bool = True) -> dict[str, Any]:
    """A figure's MIME bundle from `OfflineRenderer`, without embedding plotly.js again
    (plotly's own `_repr_mimebundle_` re-activates the renderer every time)."""
    return OfflineRenderer(with_json=with_json).to_mimebundle(fig.to_dict())


def use_offline_plotly(with_json: bool = False) -> None:
    """Make `OfflineRenderer` the default; plotly.js is embedded before the next figure."""
    pio.renderers[RENDERER_NAME] = OfflineRenderer(with_json=with_json)
    pio.renderers.default = RENDERER_NAME


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
    import ipywidgets as widgets

    from emohelpers.figures import core_figures as figures
    from emohelpers.figures.core_figures import person_label
    from emohelpers.report.sections import read_frames
    from emohelpers.analysis.table import EMOTIONS
    from emohelpers.figures.theme import person_color

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
            uri = image_data_uri(figures.draw_boxes(rgb, rows), width=width)
            image.value = base64.b64decode(uri.split(",", 1)[1])
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


# --- the report page -----------------------------------------------------------------------

# nbconvert's "lab" page without what it would fetch from CDNs (require.js, MathJax,
# mermaid, the widget manager): reports are read offline, figures need only plotly.js.
_TEMPLATE_NAME = "emohelpers_report.html.j2"
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}<style>
main { max-width: 1100px; margin: 0 auto; }
.jp-RenderedHTMLCommon table.emo-facts td { text-align: left; }
.jp-RenderedHTMLCommon table.emo-facts td:first-child { font-weight: bold; padding-right: 1.5em; }
</style>{%- endblock extra_css -%}
"""


def export_report(
    notebook: str | Path,
    html_path: str | Path,
    *,
    sections: Sequence[str] | None = None,
    show_inputs: bool = False,
    title: str | None = None,
) -> Path:
    """Export an executed report notebook to a self-contained HTML page.

    Cells of excluded sections (tagged `section-<name>`) are left out, and so are the input
    of the papermill-injected parameters (machine paths) and stderr streams (library noise;
    they stay in the notebook).

    Args:
        notebook: the executed notebook.
        html_path: the page to write.
        sections: the sections included (see `report_sections.SECTIONS`); None for all.
        show_inputs: show code cells (hidden by default).
        title: the page title.

    Returns:
        `html_path`.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from emohelpers.report.sections import SECTIONS

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    if not show_inputs:  # code cells without output would leave blank gaps
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        exclude_input=not show_inputs,
        exclude_input_prompt=not show_inputs,
        exclude_output_prompt=True,
    )
    included = SECTIONS if sections is None else sections
    remover = TagRemovePreprocessor(
        remove_cell_tags={f"section-{s}" for s in SECTIONS if s not in included},
        remove_input_tags={"injected-parameters"},
    )
    exporter.register_preprocessor(remover, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    out = Path(html_path)
    out.write_text(body, encoding="utf-8")
    return out


# --- the index -----------------------------------------------------------------------------


def make_thumbnail(video: Path, folder: Path, width: int = 200) -> Path | None:
    """Write `folder/thumb.jpg`: a frame with its face boxes when the clip's analysis is
    saved there, else the first frame; None when the video cannot be read."""
    from emohelpers.figures.core_figures import draw_boxes
    from emohelpers.report.sections import read_frames
    from emohelpers.analysis.table import Analysis

    try:
        try:
            table = Analysis.load(folder).table
            faces = table.dropna(subset=["person"])
            rows = table if faces.empty else faces
            frame = int(rows["frame"].iloc[len(rows) // 2])
            rows = table[table["frame"] == frame]
        except EmoError:
            frame, rows = 0, None
        rgb = read_frames(video, [frame]).get(frame)
        if rgb is None:
            return None
        if rows is not None:
            rgb = draw_boxes(rgb, rows)
        image = Image.fromarray(rgb)
        image = image.resize((width, max(1, round(image.height * width / image.width))))
        out = folder / THUMBNAIL_FILE
        image.save(out, "JPEG", quality=80)
        return out
    except (EmoError, OSError, ValueError) as exc:
        log.info("%s: no thumbnail (%s)", video.name, exc)
        return None


def _href(result: ClipResult, file: str) -> str:
    return html.escape(f"{quote(result.name)}/{quote(file)}", quote=True)


def _people(key: dict) -> str:
    dominant, verdicts = key.get("dominant") or {}, key.get("verdicts") or {}
    if not dominant:
        return "no face found"
    parts = []
    for person, emotion in dominant.items():
        verdict = verdicts.get(person)
        text = f"<b>{html.escape(person)}</b> {html.escape(str(emotion))}"
        parts.append(text + (f" <i>({html.escape(verdict)})</i>" if verdict else ""))
    return "<br>".join(parts)


def _row(result: ClipResult) -> str:
    thumb = result.folder / THUMBNAIL_FILE
    img = (
        f'<img src="{_href(result, THUMBNAIL_FILE)}" alt="" width="160">' if thumb.is_file() else ""
    )
    key = result.key_figures
    name = html.escape(result.video.name)
    if result.ok:
        duration = f"{key.get('duration_s') or 0:.1f} s"
        status = f'<a href="{_href(result, "report.html")}">report</a>'
        return (
            f"<tr><td>{img}</td><td>{name}</td><td>{duration}</td>"
            f"<td>{key.get('persons', '')}</td><td>{_people(key)}</td>"
            f"<td>{html.escape(str(key.get('model', '')))}</td>"
            f'<td class="ok">{status}<br><small>{result.seconds:.0f} s</small></td></tr>'
        )
    reason = html.escape(result.error or "failed")
    link = f'<a href="{_href(result, "report.ipynb")}">partial notebook</a>'
    return (
        f'<tr class="failed"><td>{img}</td><td>{name}</td><td></td><td></td><td></td>'
        f'<td colspan="2"><b>failed</b>: {reason}<br>{link}</td></tr>'
    )


_STYLE = """body { font-family: DejaVu Sans, Arial, sans-serif; margin: 2em; color: #333; }
table { border-collapse: collapse; } td, th { padding: 6px 12px; vertical-align: middle;
border-bottom: 1px solid #ddd; text-align: left; } tr.failed td { background: #fdecea; }
img { display: block; border-radius: 3px; }"""


def write_index(results: Sequence[ClipResult], out_dir: str | Path) -> Path:
    """Write `out_dir/index.html`: one row per clip, links relative to the index.

    Args:
        results: the batch's results (see `report.run_reports`).
        out_dir: the batch's output folder.

    Returns:
        The index's path.
    """
    for r in results:
        if not (r.folder / THUMBNAIL_FILE).is_file():
            make_thumbnail(r.video, r.folder)
    failed = sum(not r.ok for r in results)
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    summary = f"{len(results)} clip(s), {failed} failed; made {stamp}."
    header = "<tr><th></th><th>clip</th><th>duration</th><th>persons</th>"
    header += "<th>dominant emotion (valence)</th><th>model</th><th></th></tr>"
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>emohelpers reports</title><style>{_STYLE}</style></head><body>"
        f"<h1>Facial expressions: reports</h1><p>{summary}</p>"
        f"<table>{header}{''.join(_row(r) for r in results)}</table></body></html>\n"
    )
    out = Path(out_dir) / INDEX_FILE
    out.write_text(page, encoding="utf-8")
    return out
