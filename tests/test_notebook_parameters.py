"""The notebooks' parameter capture in a real kernel: run all twice without restarting,
with other parameters the second time, and the second run sees only its own parameters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from tests.test_notebooks import tracked_notebooks

jupyter_client = pytest.importorskip("jupyter_client")

CAPTURE = (
    "import json as _json\n"
    "print('CAPTURED=' + _json.dumps(sorted(notebook_parameters(globals(), "
    "_names_before_parameters).items()), default=str))"
)


@pytest.fixture(scope="module")
def kernel():
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc, source: str) -> str:
    """Execute one cell; its stdout (an error fails the test)."""
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(source, output_hook=hook, timeout=120)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)


def captured(kc, cells: list[str]) -> dict:
    for cell in cells:
        run(kc, cell)
    line = [x for x in run(kc, CAPTURE).splitlines() if x.startswith("CAPTURED=")][-1]
    return dict(json.loads(line.removeprefix("CAPTURED=")))


BEFORE = (
    "from emohelpers.report.parameters import notebook_parameters\n"
    "_names_before_parameters = set(globals())"
)


def test_run_all_twice_with_changed_parameters(kernel):
    first = captured(kernel, [BEFORE, "video = 'a.mp4'\nevery_n = 4", "fps = 2"])
    assert first == {"video": "a.mp4", "every_n": 4, "fps": 2}
    # the user edits the parameters cell (another clip, every_n gone), papermill injects none
    second = captured(kernel, [BEFORE, "video = 'b.mp4'\nmodel = 'mini-xception'"])
    assert second == {"video": "b.mp4", "model": "mini-xception"}


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: p.name)
def test_each_notebook_captures_this_runs_parameters(path, kernel):
    """The notebook's own cells up to its parameters cell, run twice with the parameters
    cell changed: the capture sees this run's names and values only."""
    nb = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    before = [c.source for c in nb.cells[:index] if c.cell_type == "code"]
    params = nb.cells[index].source
    names = sorted(captured(kernel, [*before, params]))
    assert names and all(not n.startswith("_") for n in names)
    kept, dropped = names[0], names[1:]
    second = captured(kernel, [*before, f"{kept} = 'changed'", "injected_by_papermill = 1"])
    assert second == {kept: "changed", "injected_by_papermill": 1}, (dropped, second)
