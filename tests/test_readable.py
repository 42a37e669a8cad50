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
