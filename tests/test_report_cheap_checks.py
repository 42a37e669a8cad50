"""`report` checks each clip with the cheap media check before starting its notebook
kernel: a folder of empty or junk `.mp4` files ends in seconds, one failed row per clip."""

from __future__ import annotations

import time

from emohelpers.core.settings import AnalysisSettings
from emohelpers.report.run import run_reports


def test_a_folder_of_unreadable_clips_starts_no_kernel(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(12):
        (clips / f"empty-{i:02d}.mp4").write_bytes(b"")
    for i in range(4):
        (clips / f"junk-{i}.mp4").write_bytes(b"not a video\n" * 40)
    out = tmp_path / "reports"
    t0 = time.perf_counter()
    settings = AnalysisSettings.from_flat(model="mini-xception")
    results = run_reports([clips], out, settings, progress=False)
    seconds = time.perf_counter() - t0
    assert len(results) == 16 and not any(r.ok for r in results)
    assert seconds < 20, f"{seconds:.1f} s: a kernel was started for an unreadable clip"
    for r in results:
        assert r.error and r.video.name in r.error
        assert ("empty (0 bytes)" if r.video.name.startswith("empty") else "cannot be read") in (
            r.error
        )
        assert not r.notebook.exists()
    index = (out / "index.html").read_text()
    assert all(r.video.name in index for r in results) and index.count("failed") >= 16
