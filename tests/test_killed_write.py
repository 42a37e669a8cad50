"""A save killed between its writes is never taken for finished work.

`Analysis.save` writes the tables first and `provenance.json` last, as the folder's commit
marker: the provenance names the sha256 of each table it commits, and `Analysis.load` (and
so the cache of `load_or_analyze`) refuses a folder whose tables do not match it. The test
kills a real process with SIGKILL right after it renamed the new table into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from emohelpers.analysis.pipeline import load_or_analyze
from emohelpers.analysis.table import PROVENANCE_FILE, TABLE_FILE, Analysis
from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import SchemaError

CLIP = "single_face.mp4"

# Saves the analysis of argv[1] into argv[2] and SIGKILLs itself right after the emotion
# table's rename; the patch lives in this child process only.
_KILLED_SAVE = """
import os, signal, sys
from pathlib import Path
from emohelpers.analysis.table import TABLE_FILE, Analysis

new, out = Path(sys.argv[1]), Path(sys.argv[2])
analysis = Analysis.load(new)
rename = os.replace

def rename_then_die(src, dst, *args, **kwargs):
    rename(src, dst, *args, **kwargs)
    if Path(dst).name == TABLE_FILE:
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = rename_then_die
analysis.save(out)
"""


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_save_killed_after_the_table_is_analysed_again_not_reused(tmp_path):
    clip = sample_clip(CLIP)
    out, staged = tmp_path / "clip", tmp_path / "staged"
    kwargs = {"model": "mini-xception", "voice_enabled": False, "progress": False}
    old = load_or_analyze(clip, out, every_n=12, **kwargs)
    new = load_or_analyze(clip, staged, every_n=6, **kwargs)
    assert len(new.table) != len(old.table)
    old_provenance = (out / PROVENANCE_FILE).read_bytes()

    done = subprocess.run(
        [sys.executable, "-c", _KILLED_SAVE, str(staged), str(out)], capture_output=True
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    # The kill left the new table beside the old provenance (the commit marker).
    assert _sha(out / TABLE_FILE) == _sha(staged / TABLE_FILE)
    assert (out / PROVENANCE_FILE).read_bytes() == old_provenance
    with pytest.raises(SchemaError, match="does not match its provenance"):
        Analysis.load(out)

    again = load_or_analyze(clip, out, every_n=12, **kwargs)  # analysed anew, not reused
    pd.testing.assert_frame_equal(again.table, old.table)
    assert again.provenance.created_utc >= old.provenance.created_utc
    pd.testing.assert_frame_equal(Analysis.load(out).table, old.table)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_a_table_changed_after_its_save_is_refused(tmp_path):
    clip = sample_clip(CLIP)
    saved = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=24, progress=False)
    table = saved.table.copy()
    table.loc[0, "time_s"] += 1.0
    table.to_parquet(tmp_path / TABLE_FILE, index=False)
    with pytest.raises(SchemaError, match="does not match its provenance"):
        Analysis.load(tmp_path)


def test_a_folder_saved_before_the_record_is_read_unless_its_table_came_later(tmp_path):
    clip = sample_clip(CLIP)
    saved = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=24, progress=False)
    prov_path = tmp_path / PROVENANCE_FILE
    data = json.loads(prov_path.read_text())
    del data["files"]  # as the versions before the record wrote it
    prov_path.write_text(json.dumps(data))
    pd.testing.assert_frame_equal(Analysis.load(tmp_path).table, saved.table)
    later = prov_path.stat().st_mtime + 30  # a table renamed in by a save killed after it
    os.utime(tmp_path / TABLE_FILE, (later, later))
    with pytest.raises(SchemaError, match="does not match its provenance"):
        Analysis.load(tmp_path)
