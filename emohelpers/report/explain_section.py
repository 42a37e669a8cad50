"""The report's section "explain": what the model looked at, for each person's strongest
moments (saliency maps computed by `explain.moments`, cached beside the report)."""

from __future__ import annotations

from pathlib import Path

from IPython.display import HTML, Markdown, display

from emohelpers.analysis.analyzer import shared_classifier
from emohelpers.analysis.table import Analysis
from emohelpers.core.errors import EmoError
from emohelpers.explain.moments import CACHE_FOLDER, ExplainedMoment, explain_strongest_moments
from emohelpers.report.html import figure_html, markdown_text
from emohelpers.report.parameters import ReportParameters
from emohelpers.summaries.summary import main_persons


def show_explain(analysis: Analysis, params: ReportParameters) -> list[ExplainedMoment] | None:
    """Section "explain": Grad-CAM maps of the analysis's classifier for each person's
    strongest moment of each emotion above chance.

    Args:
        analysis: the clip's analysis.
        params: the report's parameters (video, out_dir, device and max_persons are used);
            maps are cached in `<out_dir>/explain-cache`.

    Returns:
        The explained moments shown, or None when there is nothing to show.
    """
    if "explain" not in params.sections:
        display(Markdown("*Section `explain` not included (parameter `sections`).*"))
        return None
    table, prov = analysis
    if table["person"].isna().all():
        display(Markdown("*No face was found in the analysed frames: nothing to explain.*"))
        return None
    name = prov.model_name
    try:
        # The classifier the analysis loaded in this kernel, not a second copy.
        classifier = shared_classifier(name, params.device)
    except EmoError as exc:  # names and messages are file-derived: escaped, paths cut
        why = markdown_text(str(exc).replace(name, prov.model_label))
        display(
            Markdown(
                f"*Saliency maps need the analysis's classifier "
                f"{markdown_text(prov.model_label)}:* {why}"
            )
        )
        return None
    persons = main_persons(table, params.max_persons)
    moments = explain_strongest_moments(
        analysis.video_file(params.video),
        analysis,
        classifier,
        persons=persons,
        cache_dir=Path(params.out_dir) / CACHE_FOLDER,
    )
    display(
        Markdown(
            f"Grad-CAM maps of **{markdown_text(prov.model_label)}** for each person's strongest "
            f"moment of each emotion above chance (1/7): the brighter and yellower a region, the "
            f"more it raised that emotion's score. Panels show every emotion above chance in "
            f"that face."
        )
    )
    # One grid over the page's width, not one narrow figure under the other.
    cells = "".join(f"<div>{figure_html(m.figure)}</div>" for m in moments)
    display(HTML(f'<div class="emo-flex">{cells}</div>'))
    return moments
