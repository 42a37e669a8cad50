"""Ctrl-C on a corpus run with a real LocalCluster: one line, exit 130, nothing lost; the
workers' own log lines go to `dask.log`, never to the terminal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _corpus_cmd(clips, out):
    return [
        sys.executable,
        "-m",
        "emohelpers",
        "corpus",
        str(clips),
        "--out",
        str(out),
        "--workers",
        "2",
        "--model",
        "mini-xception",
        "--every-n",
        "4",
        "--no-report",
    ]


@pytest.mark.slow
def test_ctrl_c_stops_the_cluster_in_one_line(sample_dir, tmp_path):
    """SIGINT to the whole process group (a terminal's Ctrl-C reaches the client, its
    nannies and every worker process) while clips run: no worker traceback, no leaked
    semaphore warning, the last line says interrupted, exit 130, and the clips table
    records the clips not run as pending; a rerun then finishes them."""
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(6):
        shutil.copy(sample_dir / "single_face.mp4", clips / f"c{i}.mp4")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _corpus_cmd(clips, out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, signalled as a terminal does
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 240
    # Workers are up and analysing once a clip's folder appears.
    while not (out / "clips").is_dir() or not any((out / "clips").iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no clip started"
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    for noise in ("Traceback", "leaked semaphore", "KeyboardInterrupt", "distributed."):
        assert noise not in err, err
    assert err.strip().splitlines()[-1] == "emohelpers corpus: interrupted"
    import pandas as pd

    table = pd.read_parquet(out / "corpus" / "clips.parquet")
    assert len(table) == 6
    assert (table["status"] == "pending").any(), table[["clip", "status"]]

    again = subprocess.run(_corpus_cmd(clips, out), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    table = pd.read_parquet(out / "corpus" / "clips.parquet")
    assert (table["status"] == "ok").all(), table[["clip", "status"]]


@pytest.mark.slow
def test_worker_log_lines_go_to_dask_log(sample_dir, tmp_path):
    """The worker processes' own log lines (their start, their plugins) land in
    `--out/dask.log`, not on the terminal and not silenced."""
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(sample_dir / "single_face.mp4", clips / "a.mp4")
    out = tmp_path / "out"
    done = subprocess.run(_corpus_cmd(clips, out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    log = (out / "dask.log").read_text()
    # Lines written by the worker processes themselves, not only by the client's nannies.
    assert "distributed.worker" in log, log[-2000:]
    assert "distributed.worker" not in done.stderr, done.stderr[-2000:]
