"""`min_quality`: faces below it stay in the table but leave every verdict; on real clips the
analysis writes a `quality` for every face, and a degraded copy of a clip loses its faces."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest
from helpers import make_table

from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.core.errors import ParameterError
from emohelpers.summaries.clip_summary import clip_summary
from emohelpers.summaries.readable import readable, unreadable


def _table(quality):
    """Person 1 happy in frames 0-3 and sad in frames 4-5; person 2 angry in frame 0."""
    rows = [(0, 0.0, 1, "happy"), (0, 0.0, 2, "angry")]
    rows += [(f, f / 4, 1, "happy") for f in (1, 2, 3)]
    rows += [(f, f / 4, 1, "sad") for f in (4, 5)]
    rows += [(6, 1.5, None, None)]
    table = make_table(rows)
    return table.assign(quality=np.asarray(quality, dtype=np.float64))


@pytest.mark.parametrize(
    "quality, min_quality, left_out",
    [
        ([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, np.nan], 0.3, 0),
        ([0.9, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9, np.nan], 0.3, 1),
        ([0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, np.nan], 0.3, 4),
        ([0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, np.nan], 0.0, 0),  # 0: everything counts
        ([np.nan] * 7 + [np.nan], 0.9, 0),  # not known: kept
        ([0.3] * 7 + [np.nan], 0.3, 0),  # at the threshold: kept
    ],
)
def test_left_out_faces(quality, min_quality, left_out):
    table = _table(quality)
    assert int(unreadable(table, min_quality).sum()) == left_out
    out = readable(table, min_quality)
    validate_table(out)
    assert int(out["face"].notna().sum()) == int(table["face"].notna().sum()) - left_out
    # Every analysed frame is still there, with a face-less row where all faces went.
    assert sorted(out["frame"].unique()) == sorted(table["frame"].unique())
    pd.testing.assert_frame_equal(table, _table(quality))  # input untouched


def test_verdicts_rest_on_readable_faces_only():
    """Person 1's happy frames 1-3 are unreadable: they are left with sad (2 of 3 faces);
    person 2's only face is unreadable: person 2 has no verdict at all."""
    table = _table([0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, np.nan])
    every = clip_summary(table)
    assert {p.person: p.dominant for p in every.persons} == {1.0: "happy", 2.0: "angry"}
    strict = clip_summary(table, min_quality=0.3)
    assert {p.person: p.dominant for p in strict.persons} == {1.0: "sad"}
    assert strict.faces == every.faces == 7  # the table keeps them
    assert strict.faces_left_out == 4 and every.faces_left_out == 0
    assert strict.frames_analysed == every.frames_analysed == 7


@pytest.mark.parametrize("bad", [-0.1, 1.5, True, "0.3", None])
def test_min_quality_is_checked(bad):
    with pytest.raises(ParameterError, match="min_quality"):
        readable(_table([0.5] * 7 + [np.nan]), bad)


@pytest.mark.slow
def test_real_clips_carry_quality_and_a_degraded_copy_is_left_out(sample_dir, tmp_path):
    """The analysis gives every face a quality in [0, 1] (NaN where no face); the sample
    clip's faces are readable, while the same clip shrunk to 64 px wide and blurred has
    faces (found at the detector's smallest size) that the default min_quality leaves out."""
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.core.settings import AnalysisSettings

    clip = sample_dir / "single_face.mp4"
    table, _ = analyze(clip, model="mini-xception", every_n=4, progress=False)
    faces = table["face"].notna()
    q = table["quality"]
    assert faces.any() and q[faces].between(0, 1).all() and q[~faces].isna().all()
    default_min = AnalysisSettings().min_quality
    assert 0 < default_min < 1
    assert float((q[faces] >= default_min).mean()) > 0.9, q[faces].describe()

    small = tmp_path / "small.mp4"
    blur = "scale=96:-2,boxblur=2:1,scale=480:-2"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-i",
            str(clip),
            "-vf",
            blur,
            "-an",
            str(small),
        ],
        check=True,
    )
    shrunk, _ = analyze(small, model="mini-xception", every_n=4, min_face_px=20, progress=False)
    got = shrunk["face"].notna()
    assert got.any(), "the detector found no face in the degraded copy"
    assert float(shrunk.loc[got, "quality"].median()) < float(q[faces].median()) - 0.3
    summary = clip_summary(shrunk, min_quality=default_min)
    assert summary.faces_left_out >= 0.5 * int(got.sum()), shrunk.loc[got, "quality"]
    assert set(EMOTIONS) >= {p.dominant for p in summary.persons}


def test_timelines_draw_left_out_faces_grey():
    from emohelpers.figures.core_figures import LOW_QUALITY_KEY, timeline_figure

    table = _table([0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, np.nan])
    fig = timeline_figure(table, min_quality=0.3)
    grey = [t for t in fig.data if t.name == LOW_QUALITY_KEY]
    assert sum(len(t.x) for t in grey) == 4 and sum(t.showlegend for t in grey) == 1
    happy = [t for t in fig.data if t.name == "happy"][0]  # person 1's panel
    # Frames 1-3 (t 0.25-0.75) are left out: the line breaks there, it does not join.
    assert np.isnan(np.asarray(happy.y, dtype=float)[1:4]).all()
    assert not [t for t in timeline_figure(table).data if t.name == LOW_QUALITY_KEY]


def test_the_report_counts_and_says_what_was_left_out():
    from emohelpers.analysis.provenance import Provenance
    from emohelpers.analysis.table import Analysis
    from emohelpers.core.settings import AnalysisSettings
    from emohelpers.report.parameters import check_parameters
    from emohelpers.report.verdicts import for_verdicts, left_out_text

    table = _table([0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, np.nan])
    analysis = Analysis(table, Provenance(settings=AnalysisSettings()))
    params = check_parameters(min_quality=0.3)
    assert "4 of 7 faces (57%) are below" in left_out_text(analysis, params)
    kept = for_verdicts(analysis, params).table
    assert int(kept["face"].notna().sum()) == 3 and len(analysis.table) == len(table)
    everything = check_parameters(min_quality=0.0)
    assert left_out_text(analysis, everything).startswith("Every face reaches")
