"""Write the settings' declarations where people read them: the README's settings tables
and every notebook's `parameters` cell (`emohelpers.lab.settings_docs`). Run it after
changing a `Setting`; tests fail until it has run.

    python tools/sync_settings_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from emohelpers.lab.settings_docs import NOTEBOOK_SPECS, readme_text, sync_notebook

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if readme_text(text) != text:
        readme.write_text(readme_text(text))
        print(f"updated {readme}")
    for name in NOTEBOOK_SPECS:
        if sync_notebook(ROOT / "notebooks" / name):
            print(f"updated notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
