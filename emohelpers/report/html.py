"""Pages that open anywhere, offline: the offline Plotly renderer, the video element and
the export of an executed notebook to a self-contained HTML page.

Images are data URIs or files beside the page, links are relative, nothing is fetched from
a CDN and no absolute path of the machine appears.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import HtmlRenderer, MimetypeRenderer

from emohelpers.core.atomic import atomic_write
from emohelpers.report.page_script import PAGE_CSS, PLAYER_JS
from emohelpers.report.parameters import SECTIONS

RENDERER_NAME = "emohelpers_offline"


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def markdown_text(text: object) -> str:
    """`text` made inert inside Markdown: `<`, `>` and `&` as HTML entities (nbconvert and
    JupyterLab keep raw HTML in Markdown), Markdown punctuation backslash-escaped.

    For anything user- or file-derived (names, error messages) that enters Markdown; never
    put such text inside backticks, where no escape works.
    """
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(str(text), quote=False))


def video_html(file_name: str, width: int = 960, start_s: float | None = None) -> str:
    """A `<video controls>` element for a video beside the page, referenced relatively.

    Args:
        file_name: the video, relative to the page.
        width: its width, pixels.
        start_s: make it the page's synchronised player (`page_script`): the clip time of
            the video's first frame, seconds; None: a plain video.
    """
    src = html.escape(quote(file_name), quote=True)
    player = "" if start_s is None else f' class="emo-player" data-emo-start="{start_s:.6f}"'
    return (
        f'<video controls preload="metadata"{player} style="max-width:100%" width="{width}" '
        f'src="{src}">Your browser cannot play <a href="{src}">{src}</a>.</video>'
    )


def figure_html(fig: go.Figure, height: int | None = None) -> str:
    """A figure as an HTML fragment for the page, after plotly.js (embedded once, by the
    default renderer's activation, as the first displayed figure would)."""
    # Plotly itself activates pending renderers (plotly.js inline) only when it displays a
    # figure; a fragment may come first, so activate them as that display would.
    pio.renderers._activate_pending_renderers(cls=MimetypeRenderer)
    if height is not None:
        fig = go.Figure(fig).update_layout(height=height)
    return str(OfflineRenderer().to_mimebundle(fig.to_dict())["text/html"])


def details_html(summary: str, body: str, open_: bool = False) -> str:
    """`body` (HTML) in a collapsible `<details>` block titled `summary` (plain text)."""
    flag = " open" if open_ else ""
    return (
        f'<details class="emo-details"{flag}><summary>{html.escape(summary)}</summary>'
        f"{body}</details>"
    )


class OfflineRenderer(HtmlRenderer):
    """Plotly renderer for reports read offline: plotly.js inline once, no CDN, no MathJax.

    Plotly's own "notebook" renderer embeds plotly.js but still loads MathJax from a CDN
    with every figure; this one does not.

    Args:
        with_json: also put the figure JSON in each output, for JupyterLab's Plotly renderer.
    """

    def __init__(self, with_json: bool = False) -> None:
        super().__init__(
            connected=False,
            full_html=False,
            global_init=True,
            include_plotlyjs=False,
            config={"displaylogo": False},
        )
        self.with_json = with_json

    def to_mimebundle(self, fig_dict: dict) -> dict[str, Any]:
        html_div = pio.to_html(
            fig_dict,
            config=self.config,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            default_height=525,
            validate=False,
        )
        bundle: dict[str, Any] = {"text/html": html_div}
        if self.with_json:
            bundle.update(pio.renderers["plotly_mimetype"].to_mimebundle(fig_dict))
        return bundle


def figure_bundle(fig: go.Figure, with_json: bool = True) -> dict[str, Any]:
    """A figure's MIME bundle from `OfflineRenderer`, without embedding plotly.js again
    (plotly's own `_repr_mimebundle_` re-activates the renderer every time)."""
    return OfflineRenderer(with_json=with_json).to_mimebundle(fig.to_dict())


class use_offline_plotly:  # noqa: N801 (called like the function it was)
    """Make `OfflineRenderer` Plotly's default renderer; plotly.js is embedded before the
    next figure.

    A notebook calls it once at its top (its kernel is its own process). Elsewhere use it as
    a context manager, `with use_offline_plotly(): ...`: the previous default renderer is
    given back when the block ends.

    Args:
        with_json: also put the figure JSON in each output, for JupyterLab's Plotly renderer.
    """

    def __init__(self, with_json: bool = False) -> None:
        self._previous = pio.renderers.default
        pio.renderers[RENDERER_NAME] = OfflineRenderer(with_json=with_json)
        pio.renderers.default = RENDERER_NAME

    def __enter__(self) -> use_offline_plotly:
        return self

    def __exit__(self, *exc: object) -> None:
        # Its registry entry stays, under its own name: only the default decides anything.
        pio.renderers.default = self._previous


# --- the report page -----------------------------------------------------------------------

# nbconvert's "lab" page without what it would fetch from CDNs (require.js, MathJax,
# mermaid, the widget manager): reports are read offline, figures need only plotly.js.
_TEMPLATE_NAME = "emohelpers_report.html.j2"
_TEMPLATE = (
    """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}<style>"""
    + PAGE_CSS
    + """</style>{%- endblock extra_css -%}
{% block body_footer %}<script>"""
    + PLAYER_JS
    + """</script>
</main>
</body>
{% endblock body_footer %}
"""
)
#: The tag of a report cell whose outputs the page shows collapsed (`<details>`).
COLLAPSE_TAG = "collapse"


def _output_html(output: dict) -> str:
    """One cell output as HTML (figures and tables as they are, Markdown rendered)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune  # with nbconvert

    data = output.get("data", {})
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(str(output.get('text', '')))}</pre>"
    if "text/html" in data:
        return (
            str(data["text/html"])
            if isinstance(data["text/html"], str)
            else "".join(data["text/html"])
        )
    if "text/markdown" in data:
        return markdown2html_mistune(str(data["text/markdown"]))
    if "image/png" in data:
        return f'<img src="data:image/png;base64,{data["image/png"]}">'
    return f"<pre>{html.escape(str(data.get('text/plain', '')))}</pre>"


def collapse_cells(nb: Any) -> None:
    """Merge the outputs of each cell tagged `COLLAPSE_TAG` into one `<details>` block
    titled by the section heading above it (in place)."""
    import nbformat  # with nbconvert

    heading = "details"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^##+\s+(.+)$", cell.source, flags=re.MULTILINE)
            heading = re.sub(r"^\d+\.\s*", "", found.group(1).strip()) if found else heading
            continue
        if COLLAPSE_TAG not in cell.metadata.get("tags", []) or not cell.get("outputs"):
            continue
        body = "".join(_output_html(o) for o in cell.outputs if o.get("name") != "stderr")
        page = details_html(f"Show: {heading}", body)
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": page})]


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
    # nbconvert takes about a second to import: only when a report is exported
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    collapse_cells(nb)
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
    return atomic_write(html_path, body)  # a killed export never leaves a page that looks done
