"""Manifest metadata that looks like HTML (`<a href=...>`, `<b>`) is shown as text in the
corpus report's figures, never as live markup: Plotly renders a subset of HTML in every text
(titles, tick and legend labels, hover text)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from corpus_cases import FAST

from emohelpers.corpus import figures as cf
from emohelpers.summaries.compare import compare

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LINK = '<a href="https://example.com/x">click me</a>'
BOLD = "<b>bold</b> & co"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_every_corpus_figure_escapes_metadata_and_labels():
    clips = pd.DataFrame(
        {
            "clip": ["a", "b"],
            "status": ["ok", "ok"],
            "skipped": [False, False],
            "dominant": ["happy", "<i>odd</i>"],
            "verdict": ["positive", "<s>x</s>"],
            "face_coverage": [0.5, 1.0],
            "valence_score": [0.4, -0.2],
            LINK: [LINK, BOLD],
        }
    )
    confusion = pd.DataFrame([[1, 0], [0, 1]], index=[LINK, "sad"], columns=[BOLD, "sad"])
    comparison = compare(cf.group_units(clips), LINK, n_boot=100, n_perm=100, min_units=2)
    figs = [
        cf.dominant_figure(clips),
        cf.verdict_figure(clips),
        cf.group_figure(clips, LINK, comparison),
        cf.valence_group_figure(comparison),
        cf.confusion_figure(confusion, title=f"Confusion {BOLD}"),
    ]
    for fig in figs:
        texts = _strings(fig.to_plotly_json())
        for raw in ("<a href", "<b>bold", "<i>odd", "<s>x", "& co"):
            assert not [t for t in texts if raw in t], (raw, fig.layout.title.text)
    assert "&lt;a href" in figs[2].layout.title.text


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_corpus_report_shows_markup_in_metadata_as_text(sample_dir, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.report import run_corpus_report

    for name in ("one", "two"):
        shutil.copy(sample_dir / "single_face.mp4", tmp_path / f"{name}.mp4")
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame({"video": ["one.mp4", "two.mp4"], "speaker": [LINK, BOLD]}).to_csv(
        manifest, index=False
    )
    out = tmp_path / "out"
    run_corpus(read_inputs([manifest]), out, FAST, workers=0, progress=False)
    page_path = run_corpus_report(out, group_by="speaker")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        found = page.evaluate(
            """() => {
            const svgs = [...document.querySelectorAll('.js-plotly-plot svg')];
            const live = svgs.flatMap(s => [...s.querySelectorAll('a, b')])
                .map(e => e.textContent);
            const text = svgs.map(s => s.textContent).join(' ');
            return {live, text};
        }"""
        )
        # Hover over the speaker figure's bars: the hover label is made of the same text.
        plots = page.locator(".js-plotly-plot")
        texts = [plots.nth(i).text_content() for i in range(plots.count())]
        group = plots.nth(next(i for i, t in enumerate(texts) if "speaker" in t))
        group.scroll_into_view_if_needed()
        box = group.locator(".bars .point path").first.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x - 5, y - 5)
        page.mouse.move(x, y, steps=5)
        page.wait_for_timeout(500)
        hover = page.evaluate(
            """() => [...document.querySelectorAll('.hoverlayer')].map(h => ({
                live: h.querySelectorAll('a, b').length, text: h.textContent}))"""
        )
        browser.close()
    assert found["live"] == []
    assert LINK in found["text"] and BOLD in found["text"]
    assert any(LINK in h["text"] or BOLD in h["text"] for h in hover), hover
    assert all(h["live"] == 0 for h in hover), hover
