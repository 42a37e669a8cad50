"""JupyterLab in a real browser: a server started here on a loopback port with a token, the
explorer notebook opened in headless Chromium, every cell run through the UI (Run > Run All
Cells), the slider moved; the frame image and the radar must change, no cell may show an
error, no request may leave the machine, and the notebook saved through the UI holds no
outputs (the lab's save hook). A screenshot is kept in tests/artifacts/."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.notebooks,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lighter_settings(nb_path: Path, out_dir: Path) -> None:
    """The explorer notebook as a user runs it, with lighter sampling for the test: every
    4th frame of the sample clip, the offline model, the analysis in a temporary folder."""
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += f'\nout_dir = {str(out_dir)!r}\nmodel = "mini-xception"\nevery_n = 4'
    nbformat.write(nb, nb_path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free loopback port, its root a copy of the explorer."""
    from emohelpers.lab.server import (
        install_kernel,
        install_lab_settings,
        kernel_installed,
        lab_command,
        lab_environment,
    )

    if not kernel_installed():
        install_kernel()  # what tools/setup.sh does
    install_lab_settings()
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(REPO / "notebooks" / "explore.ipynb", root / "explore.ipynb")
    lighter_settings(root / "explore.ipynb", root / "analysis")
    port, token = free_port(), secrets.token_hex(8)
    state = tmp_path_factory.mktemp("lab-state")
    env = {
        **lab_environment(token),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    log = open(state / "server.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        lab_command(root, port=port),
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start in 60 s")
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited: {(state / 'server.log').read_text()[-2000:]}")
        yield {"base": base, "token": token, "root": root, "log": state / "server.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def element_png(page, selector: str) -> bytes:
    return page.locator(selector).first.screenshot()


def cursor_path(page) -> str | None:
    """The path of the timeline's cursor: the last shape of the plot in the explorer's output."""
    return page.evaluate("""() => {
        const area = document.querySelector('.emo-frame').closest('.jp-OutputArea');
        const plot = area.querySelector('.js-plotly-plot');
        const shapes = plot ? plot.querySelectorAll('.shapelayer path') : [];
        return shapes.length ? shapes[shapes.length - 1].getAttribute('d') : null; }""")


def test_explorer_runs_and_scrubs_in_jupyterlab(lab):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (test extra)")
    ARTIFACTS.mkdir(exist_ok=True)
    base = lab["base"]
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})

        def route(r):
            url = r.request.url
            if url.startswith((base, "data:", "blob:")):
                r.continue_()
            else:
                outside.append(url)
                r.abort()

        page.route("**/*", route)
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        try:
            page.goto(f"{base}/lab/tree/explore.ipynb?token={lab['token']}", wait_until="load")
            page.locator(".jp-NotebookPanel .jp-Notebook").wait_for(timeout=90_000)
            # The kernel is started and connected: the status bar names it, idle.
            page.get_by_text("Python (emohelpers) | Idle").first.wait_for(timeout=120_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            # Done when every code cell has an execution count, or at the first error.
            page.wait_for_function(
                """() => {
                    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                    const failed = document.querySelector(
                        '.jp-OutputArea-output[data-mime-type$="stderr"] .ansi-red-fg');
                    return failed !== null || (prompts.length > 0
                        && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
                }""",
                timeout=300_000,
            )
            page.locator(".emo-frame").first.wait_for(timeout=30_000)
            page.locator(".emo-frame").first.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            frame_before, radar_before = (
                element_png(page, ".emo-frame"),
                element_png(page, ".emo-radar"),
            )
            label_before = page.locator(".emo-label").first.inner_text()
            cursor_before = cursor_path(page)

            track = page.locator(".emo-slider .noUi-target").first
            box = track.bounding_box()
            t0 = time.perf_counter()
            page.mouse.click(box["x"] + 0.7 * box["width"], box["y"] + box["height"] / 2)
            page.wait_for_function(
                "before => document.querySelector('.emo-label').innerText !== before",
                arg=label_before,
                timeout=30_000,
            )
            scrub_s = time.perf_counter() - t0
            page.wait_for_timeout(500)  # the images arrive with the label's update
            frame_after, radar_after = (
                element_png(page, ".emo-frame"),
                element_png(page, ".emo-radar"),
            )
            label_after = page.locator(".emo-label").first.inner_text()
            cursor_after = cursor_path(page)
            page.screenshot(path=str(ARTIFACTS / "lab-explorer.png"), full_page=False)

            # What ran, from the page: the saved notebook holds no outputs (the save hook).
            ran = page.evaluate(
                """() => ({
                    prompts: [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                        .map(p => p.textContent),
                    errors: [...document.querySelectorAll(
                        '.jp-OutputArea-output[data-mime-type$="stderr"] .ansi-red-fg')]
                        .map(e => e.textContent.slice(0, 200)),
                })"""
            )
            # Save through the UI: the outputs stay on the page, not in the file.
            page.keyboard.press("Control+s")
            page.wait_for_timeout(1500)
        finally:
            page.screenshot(path=str(ARTIFACTS / "lab-explorer-last.png"))
        browser.close()

    assert outside == [], f"requests leaving the machine: {outside}"
    assert sockets and all(u.startswith("ws://127.0.0.1:") for u in sockets), sockets
    assert frame_after != frame_before, "the frame image did not change"
    assert radar_after != radar_before, "the radar did not change"
    assert label_after != label_before
    assert cursor_before and cursor_after != cursor_before, "the timeline cursor did not move"
    assert ran["errors"] == []
    assert ran["prompts"] and all(re.search(r"\[\d+\]", t) for t in ran["prompts"]), ran
    nb = nbformat.read(lab["root"] / "explore.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert "widgets" not in nb.metadata
    (ARTIFACTS / "lab-explorer.json").write_text(
        json.dumps(
            {
                "slider_click_to_label_s": round(scrub_s, 3),
                "label_before": label_before,
                "label_after": label_after,
            },
            indent=1,
        )
    )
