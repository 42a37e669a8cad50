"""`corpus` checks every input file (the golden CSV as well as the manifests) before any
clip runs: one line, exit 1, no clip analysed and an earlier report left as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest

GOLDEN = {
    "unknown label": "clip,label\nsingle_face,happy\nsingle_face,blorp\n",
    "mixed kinds": "clip,label\nsingle_face,happy\nsingle_face,positive\n",
    "end before start": "clip,start_s,end_s,label\nsingle_face,5,2,happy\n",
}


@pytest.mark.parametrize("case", list(GOLDEN))
def test_a_bad_golden_file_stops_the_corpus_before_any_clip(case, sample_dir, tmp_path):
    golden = tmp_path / "golden.csv"
    golden.write_text(GOLDEN[case])
    out = tmp_path / "run"
    (out / "corpus").mkdir(parents=True)
    earlier = out / "corpus" / "index.html"
    earlier.write_text("<p>the earlier report</p>")
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", "corpus", str(sample_dir / "single_face.mp4")]
        + ["--out", str(out), "--golden", str(golden), "--workers", "0"]
        + ["--model", "mini-xception", "--every-n", "24"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "golden.csv" in lines[0], lines
    assert not (out / "clips").exists()  # no clip ran
    assert earlier.read_text() == "<p>the earlier report</p>"


def test_an_unreachable_scheduler_is_one_line_within_seconds(sample_dir, tmp_path):
    import time

    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", "-q", "corpus", str(sample_dir / "single_face.mp4")]
        + ["--out", str(tmp_path / "run"), "--scheduler", "tcp://127.0.0.1:1"]
        + ["--model", "mini-xception"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - t0
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "tcp://127.0.0.1:1" in lines[0] and "connect" in lines[0], lines
    assert "Traceback" not in run.stderr
    assert seconds < 45, seconds  # imports included (busy machine); the connect timeout is 5 s


@pytest.mark.slow
def test_a_corpus_run_keeps_dask_and_kernel_notices_off_the_terminal(sample_dir, tmp_path):
    out = tmp_path / "run"
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", "corpus", str(sample_dir / "single_face.mp4")]
        + ["--out", str(out), "--workers", "1", "--model", "mini-xception", "--every-n", "24"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    terminal = run.stdout + run.stderr
    for notice in ("without encryption", "still alive after", "distributed.nanny", "Traceback"):
        assert notice not in terminal, terminal
    assert (out / "corpus" / "index.html").is_file()
