"""The corpus report in headless Chromium at the report's width: every chart's bars agree
with `clips.parquet` (every clip counted once, counts on the bars), no label is cut by the
figure's edge or covered by an axis title, the per-clip table sorts and filters, the key
figures are shown."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emohelpers.corpus import dataset

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTH = 1200  # the report's page: content at most 1100 px wide (report/html.py)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.notebooks,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]

# Per figure: its title, traces (name, x, y, text, orientation) and the boxes of every
# label drawn in it, relative to the figure's own svg.
_FIGURES_JS = """() => {
  const arr = v => v && v._inputArray ? Array.from(v._inputArray)
      : (ArrayBuffer.isView(v) ? Array.from(v) : v);
  return [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
    const svg = gd.querySelector('svg.main-svg').getBoundingClientRect();
    const box = e => { const r = e.getBoundingClientRect();
        return {text: e.textContent, l: r.left - svg.left, r: r.right - svg.left,
                t: r.top - svg.top, b: r.bottom - svg.top}; };
    const all = sel => [...gd.querySelectorAll(sel)].filter(e => e.textContent).map(box);
    return {
        title: gd.layout.title && gd.layout.title.text,
        width: svg.width, height: svg.height,
        traces: gd.data.map(t => ({name: t.name, type: t.type, x: arr(t.x), y: arr(t.y),
                                   text: arr(t.text), orientation: t.orientation || 'v'})),
        points: [...gd.querySelectorAll('.bars .point')].map(p => {
            const t = p.querySelector('.bartext');
            return t ? t.textContent : null; }),
        xticks: all('.xtick text'), yticks: all('.ytick text'),
        xtitle: all('.g-xtitle text'), ytitle: all('.g-ytitle text'),
        others: all('.gtitle, .legendtext, .bartext'),
    };
  });
}"""


@pytest.fixture(scope="module")
def rendered(corpus):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    from emohelpers.corpus.report import run_corpus_report

    _, out, manifest = corpus
    golden = manifest.parent / "golden_browser.csv"
    golden.write_text("clip,label\ndebate_a,happy\ndebate_b,disgust\nlecture_c,sad\n")
    page_path = run_corpus_report(out, golden=golden)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(800)
        figures = page.evaluate(_FIGURES_JS)
        table = _exercise_table(page)
        key_table = page.evaluate(
            """() => { const h = [...document.querySelectorAll('h2')]
                .find(e => e.textContent.startsWith('Key figures'));
                const after = [...document.querySelectorAll('table')].filter(t =>
                    h.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
                return after.length ? after[0].querySelectorAll('tbody tr').length : 0; }"""
        )
        browser.close()
    return {"figures": figures, "table": table, "key_rows": key_table, "errors": errors}


def _exercise_table(page) -> dict:
    """Sort the per-clip table by valence, then by clip descending; filter it."""
    table = page.locator("table.emo-sortable").first
    head = [h.text_content() for h in table.locator("thead th").all()]

    def column(name):
        i = head.index(name)
        return page.evaluate(
            """([id, i]) => [...document.getElementById(id).tBodies[0].rows]
                .filter(r => r.style.display !== 'none').map(r => r.cells[i].textContent)""",
            [table.get_attribute("id"), i],
        )

    before = column("clip")
    table.locator("th", has_text="valence_score").click()
    by_valence = column("valence_score")
    clip_th = table.locator("th").nth(head.index("clip"))
    clip_th.click()
    clip_th.click()
    by_clip_desc = column("clip")
    page.locator(f"#{table.get_attribute('id')}-filter").fill("debate")
    filtered = column("clip")
    return {
        "before": before,
        "by_valence": by_valence,
        "by_clip_desc": by_clip_desc,
        "filtered": filtered,
    }


def _figure(figures, starts: str) -> dict:
    (found,) = [f for f in figures if (f["title"] or "").startswith(starts)]
    return found


def _bars(fig: dict) -> dict[str, float]:
    (trace,) = fig["traces"]
    labels, values = (
        (trace["y"], trace["x"]) if trace["orientation"] == "h" else (trace["x"], trace["y"])
    )
    return dict(zip(labels, values, strict=True))


def test_every_chart_agrees_with_clips_parquet(rendered, corpus):
    _, out, _ = corpus
    clips = dataset.read_clips(out)
    done = clips.loc[clips["status"] == "ok"]
    figures = rendered["figures"]
    assert rendered["errors"] == []
    # status, dominant, verdict, coverage; per grouping shares and valence; the persons
    # across clips (corpus_person) shares and valence; confusion
    assert len(figures) == 4 + 2 * 2 + 2 + 1
    status = _bars(_figure(figures, f"{len(clips)} clips"))
    assert sum(status.values()) == len(clips)
    assert status["failed"] == (clips["status"] == "failed").sum() == 3
    assert status["analysed in this run"] + status["saved analysis reused"] == len(done)
    dominant = done["dominant"].astype(object).where(done["dominant"].notna(), "no face")
    assert _bars(_figure(figures, "Dominant emotion of")) == dominant.value_counts().to_dict()
    verdict = done["verdict"].astype(object).where(done["verdict"].notna(), "no face")
    assert _bars(_figure(figures, "Valence verdict")) == verdict.value_counts().to_dict()
    coverage = _figure(figures, "Face coverage")["traces"][0]
    cov = done["face_coverage"].astype(float).to_numpy()
    assert {0.0, 1.0} <= set(cov)  # the edges: a clip without a face, clips all face
    expected = np.bincount(np.minimum((cov * 10).astype(int), 9), minlength=10)
    assert list(coverage["y"]) == expected.tolist() and sum(coverage["y"]) == len(done)
    for column in ("speaker", "debate_id"):
        fig = _figure(figures, f"Dominant emotion per {column}")
        for trace in fig["traces"]:
            for tick, text in zip(trace["x"], trace["text"], strict=True):
                group = tick.split("<br>")[0]
                n = ((done[column] == group) & (done["dominant"] == trace["name"])).sum()
                assert int(text) == n, (column, group, trace["name"])


def test_every_bar_shows_its_count(rendered):
    for fig in rendered["figures"]:
        if not fig["points"]:
            continue  # the confusion heatmap
        values = [v for t in fig["traces"] if t["type"] == "bar" for v in t["y"] or []]
        shown = [p for p in fig["points"] if p]
        assert len(shown) >= sum(1 for v in values if v and v != 0), fig["title"]


def _inside(b, fig, slack=1.0):
    return -slack <= b["l"] and b["r"] <= fig["width"] + slack and -slack <= b["t"]


def _overlap(a, b):
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def test_no_label_is_cut_or_covered(rendered):
    for fig in rendered["figures"]:
        labels = fig["xticks"] + fig["yticks"] + fig["xtitle"] + fig["ytitle"] + fig["others"]
        cut = [b["text"] for b in labels if not _inside(b, fig) or b["b"] > fig["height"] + 1]
        assert cut == [], (fig["title"], cut)
        for title, ticks in ((fig["ytitle"], fig["yticks"]), (fig["xtitle"], fig["xticks"])):
            covered = [t["text"] for a in title for t in ticks if _overlap(a, t)]
            assert covered == [], (fig["title"], covered)


def test_the_clip_table_sorts_and_filters(rendered, corpus):
    _, out, _ = corpus
    clips = dataset.read_clips(out)
    t = rendered["table"]
    assert sorted(t["before"]) == sorted(clips["clip"])
    values = [float(v) if v else None for v in t["by_valence"]]
    numbers = [v for v in values if v is not None]
    assert numbers == sorted(numbers) and values[: len(numbers)] == numbers  # empty last
    assert t["by_clip_desc"] == sorted(clips["clip"], reverse=True)
    assert t["filtered"] == sorted([c for c in clips["clip"] if "debate" in c], reverse=True)
    assert rendered["key_rows"] >= 5


def test_key_figures_count_every_kind_of_clip(rendered, corpus):
    _, out, _ = corpus
    key = json.loads((out / "corpus" / "key_figures.json").read_text())
    parts = ("analysed", "reused", "skipped", "failed", "pending")
    assert sum(key[k] for k in parts) == key["clips"] == 7
    # No cast: the persons are linked across clips; the three copies of one clip show the
    # same man, so three clip-person units and one corpus person.
    assert key["person_key"] == "corpus_person" and key["person_units"] == 3
    linked = pd.read_parquet(out / "corpus" / "persons.parquet")
    assert linked["corpus_person"].nunique() == 1 and len(linked) == 3
    assert set(key["group_tests"]) == {"speaker", "debate_id"}
    assert pd.isna(key["group_tests"]["speaker"]["emotion_p"] or np.nan)  # groups too small
