"""A generated report in headless Chromium: nothing leaves the machine, every Plotly figure
draws, and the annotated video plays from beside the page."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

#: The names tools/setup.sh looks for on PATH, in its order (test_browser_setup checks).
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--no-first-run",
]
#: Set (to 1) where the set-up installs Chromium, e.g. CI (.ci/run): then a missing browser
#: fails the browser tests instead of skipping them.
REQUIRE_ENV = "EMOHELPERS_REQUIRE_BROWSER"

pytestmark = [pytest.mark.browser, pytest.mark.notebooks, pytest.mark.slow]


def find_chrome() -> str | None:
    """The first Chrome or Chromium on PATH, found as tools/setup.sh finds it."""
    for name in CHROME_NAMES:
        if path := shutil.which(name):
            return path
    return None


def missing(reason: str) -> None:
    """Skip, or fail where the browser was required (`EMOHELPERS_REQUIRE_BROWSER=1`)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 says the set-up installed it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")  # session, as report_dir: so it skips before the report is made
def chrome() -> str:
    path = find_chrome()
    if path is None:
        missing(f"needs a Chrome on PATH ({', '.join(CHROME_NAMES)}): apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("needs playwright (the test extra)")
    return path


@pytest.fixture(scope="module")
def browser(chrome):
    """Playwright for this module only: its sync API keeps an event loop running in this
    thread until it stops, and another module's `sync_playwright()` would refuse to start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chrome, args=ARGS)
        yield b
        b.close()


def open_offline(browser, path: Path):
    """Open `path` in a new page; return (page, urls that would have left the machine,
    JavaScript errors)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    return page, outside, errors


def test_report_renders_offline(chrome, browser, report_dir):
    good = report_dir.good
    assert good.ok, good.error
    page, outside, errors = open_offline(browser, good.report)
    assert outside == [], f"requests leaving the machine: {outside}"
    assert errors == []
    plots = page.locator(".js-plotly-plot")
    assert plots.count() >= 6
    for i in range(plots.count()):
        assert plots.nth(i).locator("svg.main-svg").count() >= 1, f"figure {i} did not render"
    duration = page.evaluate("""async () => {
        const v = document.querySelector('video');
        if (v.readyState < 1) await new Promise((ok, fail) => {
            v.addEventListener('loadedmetadata', ok); v.addEventListener('error', fail); v.load();
        });
        return v.duration; }""")
    key = json.loads((good.folder / "key_figures.json").read_text())
    analysed = key["duration_s"]
    assert abs(duration - analysed) < 0.5, (duration, analysed)
    page.close()


def test_index_renders_offline(chrome, browser, report_dir):
    page, outside, errors = open_offline(browser, report_dir.out / "index.html")
    assert outside == [] and errors == []
    assert page.locator("tr").count() == 1 + len(report_dir.results)
    assert page.locator("img").first.evaluate("img => img.naturalWidth") > 0
    assert page.locator("a[href$='report.html']").count() == 1
    # The corrupt clip fails its media check before any kernel starts: no notebook to link,
    # its row says why.
    assert page.locator("a[href$='.ipynb']").count() == 0
    broken_row = page.locator("tr", has_text=report_dir.broken.video.name)
    assert broken_row.count() == 1 and "VideoReadError" in broken_row.inner_text()
    page.close()


#: The player's state as the page holds it: the video's time on the clip's clock, every
#: timeline's cursor, the live radar's title ("At 1.07 s (analysed frame)").
PLAYER_STATE = """() => {
    const v = document.querySelector('video.emo-player');
    const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
    const cursors = plots.map(gd => (gd.layout.shapes || []).find(s => s.name === 'emo-cursor'))
        .filter(Boolean).map(s => s.x0);
    const radar = plots.find(gd => gd.layout.meta && gd.layout.meta.emo_radar);
    return {t: v.currentTime + parseFloat(v.dataset.emoStart), cursors: cursors,
            radar: radar ? radar.layout.title.text : null, paused: v.paused};
}"""

#: Where on the page a time lies in a figure's plot area (its first row), in CSS pixels.
POINT_AT = """([gd, t]) => {
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
    return {x: r.left + xa._offset + xa.l2p(t), y: r.top + ya._offset + ya._length / 2};
}"""


def test_the_player_drives_the_charts(chrome, browser, report_dir):
    """Play for a second: every timeline's cursor follows, within one analysed frame of the
    video's time, and the radar shows the frame shown; a click on a timeline or a key frame
    seeks the video there. Offline, without a console error."""
    good = report_dir.good
    key = json.loads((good.folder / "key_figures.json").read_text())
    step_s = key["sampling"]["every_n"] / key["fps"]  # one analysed frame
    page, outside, errors = open_offline(browser, good.report)
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.wait_for_function("document.documentElement.dataset.emoPlayer === 'ready'")
    before = page.evaluate(PLAYER_STATE)
    assert len(before["cursors"]) >= 2, before  # the timelines and the turning points at least
    page.evaluate("""async () => {
        const v = document.querySelector('video.emo-player'); v.muted = true; await v.play(); }""")
    page.wait_for_timeout(1000)
    page.evaluate("() => document.querySelector('video.emo-player').pause()")
    page.wait_for_timeout(300)
    after = page.evaluate(PLAYER_STATE)
    assert after["paused"] and after["t"] > before["t"] + 0.5, (before, after)
    for x in after["cursors"]:
        assert x > before["cursors"][0] + 0.5 and abs(x - after["t"]) <= step_s, (after, step_s)
    shown = float(after["radar"].split()[1])  # the analysed frame held at the video's time
    assert after["t"] - step_s - 1e-3 <= shown <= after["t"] + 1e-3, after

    # A click on the timeline seeks there (to the analysed frame under the pointer).
    timeline = page.locator(".js-plotly-plot").filter(has_text="Expression over time").first
    timeline.scroll_into_view_if_needed()
    target = 0.4 * key["duration_s"]
    xy = page.evaluate(POINT_AT, [timeline.element_handle(), target])
    page.mouse.click(xy["x"], xy["y"])
    page.wait_for_timeout(400)
    clicked = page.evaluate(PLAYER_STATE)
    assert abs(clicked["t"] - target) <= step_s, (clicked, target)
    assert all(abs(x - clicked["t"]) <= step_s for x in clicked["cursors"]), clicked

    # A key frame (in its collapsed section) seeks to its own time.
    gallery = page.locator("details.emo-details", has=page.locator(".emo-gallery"))
    gallery.locator("summary").click()
    frame = gallery.locator("[data-emo-seek]").nth(2)
    at = float(frame.get_attribute("data-emo-seek"))
    frame.click()
    page.wait_for_timeout(400)
    assert abs(page.evaluate(PLAYER_STATE)["t"] - at) < 0.05
    assert outside == [] and errors == [] and console == [], (outside, errors, console)
    page.close()


def test_the_page_is_short_and_prints_whole(chrome, browser, report_dir):
    """Findings first, long parts collapsed: the page is short (the seeds' report of this
    clip measured 9,378 px here, at 1200 px wide: now at most half), and printing opens every
    part."""
    page, _, _ = open_offline(browser, report_dir.good.report)
    assert page.locator("h2").first.inner_text().startswith("Findings")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 9378 // 2, height
    closed = page.locator("details.emo-details:not([open])").count()
    assert closed >= 5
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details.emo-details:not([open])").count() == 0
    page.emulate_media(media="print")
    assert page.locator("video").first.evaluate("v => getComputedStyle(v).display") == "none"
    page.close()
