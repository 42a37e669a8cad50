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
