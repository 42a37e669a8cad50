"""The README's screenshot of a clip report (docs/report.png), made in headless Chromium:
the findings, the player seeked to a moment, the radar and the timeline cursor following it.

    emohelpers report WolfgangLanger_Pexels.mp4 --model mini-xception --every-n 3 --out /tmp/r
    python tools/report_screenshot.py /tmp/r/WolfgangLanger_Pexels/report.html docs/report.png
"""

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from emohelpers.core.atomic import atomic_path

src, out = Path(sys.argv[1]).resolve(), sys.argv[2]
shot = Path(tempfile.mkdtemp()) / "report.png"
with sync_playwright() as p:
    b = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
    page = b.new_page(viewport={"width": 1100, "height": 1500}, device_scale_factor=1)
    page.goto(src.as_uri(), wait_until="load")
    page.wait_for_function("document.documentElement.dataset.emoPlayer === 'ready'")
    page.evaluate("""async () => { const v = document.querySelector('video.emo-player');
        v.preload = 'auto'; v.currentTime = 11.0;
        await new Promise(ok => v.addEventListener('seeked', ok, {once: true})); }""")
    page.wait_for_timeout(1200)
    top = page.evaluate(
        "Math.round(document.querySelector('h2').getBoundingClientRect().top + scrollY) - 20"
    )
    page.screenshot(
        path=str(shot), clip={"x": 0, "y": top, "width": 1100, "height": 1500}, full_page=True
    )
    b.close()
im = Image.open(shot).convert("RGB")
im = im.resize((880, 1200), Image.Resampling.LANCZOS)
with atomic_path(out) as partial:  # a killed run never leaves half an image
    im.save(partial, format="PNG", optimize=True)
