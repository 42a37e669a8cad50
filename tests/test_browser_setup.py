"""The browser tests find Chrome exactly as tools/setup.sh does, and fail (not skip) where
the set-up was supposed to install it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from test_browser import CHROME_NAMES, REQUIRE_ENV, find_chrome

SETUP = Path(__file__).resolve().parents[1] / "tools" / "setup.sh"
BASH = shutil.which("bash") or "/bin/bash"  # found before the tests narrow PATH


def _setup_find_chrome(path_env: str) -> str | None:
    """Run setup.sh's own `find_chrome` function with PATH set to `path_env`."""
    text = SETUP.read_text()
    body = text[text.index("find_chrome() {") :]
    body = body[: body.index("\n}\n") + 3]
    proc = subprocess.run(
        [BASH, "-c", body + "find_chrome"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path_env},
    )
    return proc.stdout.strip() or None


def test_same_names_and_order_as_setup():
    text = SETUP.read_text()
    assert f"for c in {' '.join(CHROME_NAMES)}; do" in text


def test_same_browser_as_setup(tmp_path, monkeypatch):
    for name in ("google-chrome", "chromium-browser"):  # two candidates: order decides
        exe = tmp_path / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chrome() == _setup_find_chrome(str(tmp_path)) == str(tmp_path / "chromium-browser")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert find_chrome() is None and _setup_find_chrome(str(tmp_path / "nothing")) is None


def test_missing_browser_fails_when_required(tmp_path):
    """With no Chrome on PATH: skipped normally, failed under EMOHELPERS_REQUIRE_BROWSER=1."""
    test = Path(__file__).with_name("test_browser.py")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "index_renders_offline",
        str(test),
    ]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    env.pop(REQUIRE_ENV, None)
    skipped = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    required = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env={**env, REQUIRE_ENV: "1"}
    )
    assert required.returncode == 1 and "1 error" in required.stdout, required.stdout
    assert f"{REQUIRE_ENV}=1" in required.stdout
