"""Rerunning a finished corpus decides its skips in the client: no cluster starts when every
clip is done, and only the unfinished clips go to the cluster otherwise."""

from __future__ import annotations

import shutil

from emohelpers.corpus.engine import run_corpus
from emohelpers.corpus.manifest import read_inputs
from tests.corpus.corpus_cases import FAST


def test_a_finished_corpus_starts_no_cluster(sample_dir, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("one", "two"):
        shutil.copy(sample_dir / "single_face.mp4", videos / f"{name}.mp4")
    out = tmp_path / "run"
    first = run_corpus(read_inputs([videos]), out, FAST, workers=0, progress=False)
    assert first.ok
    started = []
    again = run_corpus(
        read_inputs([videos]),
        out,
        FAST,
        workers=1,  # a cluster, were any clip left to do
        progress=False,
        on_start=started.append,
    )
    assert again.ok and not started and again.dashboard is None
    assert all(r.get("skipped") for r in again.rows), again.rows
