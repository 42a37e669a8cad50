"""Importing emohelpers changes nothing in the process, and a run gives back what it set:
environment variables, log filters, the SIGINT handler, Plotly's default renderer."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import plotly.io as pio
import pytest

from emohelpers.core.process_env import RUN_ENV, child_environment, run_environment

_LOGGERS = ("", "papermill", "nbclient", "traitlets", "asyncio")


def process_state() -> dict:
    """What a library may change behind its caller's back, in comparable form."""
    root = logging.getLogger()
    return {
        "environ": dict(os.environ),
        "filters": {n: list(logging.getLogger(n or None).filters) for n in _LOGGERS},
        "handler_filters": [list(h.filters) for h in root.handlers],
        "sigint": signal.getsignal(signal.SIGINT),
        "renderer": pio.renderers.default,
    }


_IMPORT_ALL = """
import json, os, sys
import plotly.io as pio, torch, torchvision  # what they set on import is theirs (torchvision:
# TORCHINDUCTOR_CACHE_DIR)
before = (dict(os.environ), pio.renderers.default)
import emohelpers
import emohelpers.analysis.pipeline, emohelpers.report.html, emohelpers.report.kernel
import emohelpers.report.run, emohelpers.corpus.engine, emohelpers.cli.main
after = (dict(os.environ), pio.renderers.default)
print(json.dumps({"same": before == after, "added": sorted(set(after[0]) - set(before[0]))}))
"""


def test_importing_the_package_changes_no_environment_variable_or_renderer():
    env = {k: v for k, v in os.environ.items() if k not in RUN_ENV}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"same": True, "added": []}


def test_a_run_environment_is_set_for_the_block_and_given_back(monkeypatch):
    for name in RUN_ENV:
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    with run_environment():
        assert {k: os.environ[k] for k in RUN_ENV} == dict(RUN_ENV)
    assert dict(os.environ) == before
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")  # the caller's own value is kept
    with run_environment():
        assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    assert child_environment({"A": "1"}) == {**RUN_ENV, "A": "1"}


def test_quiet_after_interrupt_installs_its_filters_and_handler_for_the_block_only():
    from emohelpers.report.kernel import quiet_after_interrupt

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not at Python's default handler in this test process")
    before = process_state()
    with quiet_after_interrupt():
        assert logging.getLogger("papermill").filters  # installed for the run
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert process_state() == before
    with pytest.raises(KeyboardInterrupt), quiet_after_interrupt():
        os.kill(os.getpid(), signal.SIGINT)  # handled at the next bytecode: raises here
        time.sleep(5)
        raise AssertionError("SIGINT did not interrupt the block")
    assert process_state() == before


def test_the_offline_renderer_is_given_back_after_its_block():
    from emohelpers.report.html import RENDERER_NAME, use_offline_plotly

    before = pio.renderers.default
    with use_offline_plotly(with_json=True):
        assert pio.renderers.default == RENDERER_NAME
    assert pio.renderers.default == before


@pytest.mark.slow
def test_a_corpus_run_on_a_local_cluster_leaves_the_process_as_it_was(sample_dir, tmp_path):
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.task import TaskSettings

    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(sample_dir / "single_face.mp4", videos / "one.mp4")
    settings = TaskSettings(analysis={"model": "mini-xception", "every_n": 12})
    before = process_state()
    run = run_corpus(read_inputs([videos]), tmp_path / "out", settings, workers=1, progress=False)
    assert run.ok and [r["status"] for r in run.rows] == ["ok"]
    after = process_state()
    assert after["environ"] == before["environ"]  # nothing added, removed or changed
    assert after == before


def test_a_report_kernel_gets_the_run_environment_without_this_process_having_it(
    tmp_path, monkeypatch
):
    import nbformat
    import papermill as pm

    from emohelpers.report.kernel import kernel_options
    from emohelpers.report.run import kernel_name

    for name in RUN_ENV:
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.v4.new_notebook()
    code = f"import os; print({{k: os.environ.get(k) for k in {sorted(RUN_ENV)!r}}})"
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, str(tmp_path / "in.ipynb"))
    before = dict(os.environ)
    pm.execute_notebook(
        str(tmp_path / "in.ipynb"),
        str(tmp_path / "out.ipynb"),
        kernel_name=kernel_name(),
        progress_bar=False,
        **kernel_options(tmp_path / "kernel.log"),
    )
    printed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4).cells[0].outputs[0]
    assert printed["text"].strip() == repr(dict(sorted(RUN_ENV.items())))
    assert dict(os.environ) == before
