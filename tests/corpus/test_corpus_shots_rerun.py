"""The corpus dataset's shot tables, and reruns that say what they did: a clip whose saved
analysis is reused is counted apart from new analyses and keeps the timing of the run that
analysed it (real LocalCluster workers, the real offline model)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from corpus_cases import FAST, GOOD

from emohelpers.analysis.table import Analysis
from emohelpers.corpus import dataset
from emohelpers.corpus import figures as cf
from emohelpers.corpus.engine import run_corpus
from emohelpers.corpus.manifest import read_inputs
from emohelpers.corpus.report import slowest
from emohelpers.summaries.shots import shot_table

pytestmark = pytest.mark.slow
FINISHED = [*GOOD, "empty_room"]


def test_the_shots_dataset_holds_each_finished_clips_shot_table(corpus):
    _, out, _ = corpus
    shots = dataset.read_shots(out)
    assert sorted(shots["clip"].unique()) == sorted(FINISHED)
    for name in FINISHED:
        expected = shot_table(Analysis.load(out / "clips" / name).table)
        got = shots.loc[shots["clip"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(got[list(expected.columns)], expected, check_dtype=False)
    ann = shots.loc[shots["clip"] == "debate_a"]
    assert set(ann["speaker"]) == {"Ann"} and (ann["end_s"] > ann["start_s"]).all()
    room = shots.loc[shots["clip"] == "empty_room"]
    assert room["person"].isna().all() and (room["n_face_frames"] == 0).all()


def test_a_rerun_reusing_saved_analyses_counts_them_apart_with_their_timing(corpus, tmp_path):
    _, shared, manifest = corpus
    out = shutil.copytree(shared, tmp_path / "out")
    first = dataset.read_clips(out).set_index("clip")
    # A corpus written before shot tables existed: its clips are redone from their analyses.
    shutil.rmtree(out / "corpus" / dataset.SHOTS_DIR)
    tables = {n: (out / "clips" / n / "emotions.parquet").stat().st_mtime_ns for n in GOOD}
    again = run_corpus(read_inputs([manifest]), out, FAST, workers=1, progress=False)
    line = again.summary_line()
    assert line.startswith("7 clip(s): 4 done, 0 skipped, 3 failed"), line
    assert line.endswith("; 4 of the done from analyses saved earlier"), line
    assert {n: (out / "clips" / n / "emotions.parquet").stat().st_mtime_ns for n in GOOD} == tables
    clips = dataset.read_clips(out)
    assert sorted(dataset.read_shots(out)["clip"].unique()) == sorted(FINISHED)
    done = clips.loc[clips["status"] == "ok"].set_index("clip")
    assert done["reused"].all() and not done["skipped"].any()
    # The analysis's timing is the run's that analysed it, not the reuse's.
    for column in ("analysis_seconds", "frames_per_s"):
        assert done[column].to_dict() == first.loc[done.index, column].to_dict()
    assert cf.status_parts(clips) == {
        "analysed in this run": 0,
        "saved analysis reused": 4,
        "finished earlier (skipped)": 0,
        "failed": 3,
        "not run (interrupted)": 0,
    }
    top = slowest(clips, 10).set_index("clip")
    assert set(top["work"]) == {"saved analysis reused"} and set(top["ran"]) == {"this run"}
    assert top["analysis_s"].to_dict() == first.loc[top.index, "analysis_seconds"].to_dict()
    # Once more: everything finished is skipped, and counted as skipped.
    third = run_corpus(read_inputs([manifest]), out, FAST, workers=1, progress=False)
    assert third.summary_line().startswith("7 clip(s): 0 done, 4 skipped, 3 failed")
    clips = dataset.read_clips(out)
    assert cf.status_parts(clips)["finished earlier (skipped)"] == 4
    top = slowest(clips, 10)
    assert set(top["ran"]) == {"an earlier run"}
    assert top.set_index("clip")["task_s"].to_dict() == done.loc[top["clip"], "seconds"].to_dict()
