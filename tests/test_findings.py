"""The report's findings: intervals in words, uncertain verdicts, turning points at a cut
marked and left out (pure functions on synthetic tables; a real clip with a cut)."""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest

from emohelpers.core.errors import ParameterError
from emohelpers.figures import core_figures, summary_figures
from emohelpers.report.findings_section import findings_figures, findings_html
from emohelpers.report.parameters import check_parameters
from emohelpers.report.summaries_section import turning_table
from emohelpers.summaries.clip_summary import clip_summary
from emohelpers.summaries.findings import (
    AT_CUT,
    clip_turning_points,
    mark_cuts,
    person_findings,
    turning_text,
)
from tests.helpers import make_table, steady_rows

SHARE = re.compile(r"^\w+ \d+% \[\d+-\d+%\]$")


def turns(times, kinds=None):
    kinds = kinds or ["change"] * len(times)
    return pd.DataFrame(
        {
            "person": 1.0,
            "time_s": times,
            "kind": kinds,
            "from_emotion": "fear",
            "emotion": "happy",
            "value": 3.6,
        }
    )


@pytest.mark.parametrize(
    ("times", "cuts", "margin", "expected"),
    [
        ([2.80, 5.0], [2.74], 0.5, [True, False]),  # the 0.06 s after a cut
        ([2.80, 5.0], [2.74], 0.05, [False, False]),
        ([2.74], [2.74], 0.0, [True]),
        ([1.0, 4.0], [], 0.5, [False, False]),
        ([1.0, 4.0], None, 0.5, [False, False]),
        ([3.2, 6.4], [6.0, 3.0], 0.3, [True, False]),  # cuts in any order, the nearest counts
    ],
)
def test_mark_cuts(times, cuts, margin, expected):
    marked = mark_cuts(turns(times), cuts, margin)
    assert marked["at_cut"].tolist() == expected
    assert len(turns(times).columns) + 2 == len(marked.columns)  # input untouched, copy


@pytest.mark.parametrize("margin", [-0.1, True, "0.5"])
def test_mark_cuts_refuses_a_bad_margin(margin):
    with pytest.raises(ParameterError, match="margin_s"):
        mark_cuts(turns([1.0]), [1.0], margin)


def test_turning_texts_carry_their_units():
    change, rise = turns([2.8, 5.1], ["change", "rise"]).assign(value=[3.6, 0.32]).itertuples()
    assert turning_text(change) == "fear→happy at 2.80 s (held 3.6 s)"
    assert turning_text(rise) == "happy rose by 0.32 (probability) at 5.10 s"


def test_clear_and_uncertain_verdicts():
    # P1 happy throughout (clear); P2 long runs of happy and sad, sad 55% (a near tie).
    clear = steady_rows(1, ["happy"] * 40, fps=4.0)
    tie = steady_rows(2, ["happy"] * 12 + ["sad"] * 8 + ["happy"] * 6 + ["sad"] * 14, fps=4.0)
    table = make_table(sorted(clear + tie, key=lambda r: (r[0], r[2])))
    people = {p.label: p for p in person_findings(table, turns([]).iloc[:0].assign(at_cut=[]))}
    p1, p2 = people["P1"], people["P2"]
    assert SHARE.match(p1.dominant_text) and p1.dominant_text == "happy 100% [100-100%]"
    assert not p1.dominant_uncertain and p1.valence == "positive" and not p1.valence_uncertain
    assert p1.valence_text.startswith("positive (score +")
    assert p2.dominant_uncertain and p2.dominant_text.startswith("uncertain: sad 55% [")
    assert p2.dominant_text.endswith("or happy") and p2.share_lo < 0.5 < p2.share_hi
    assert p2.valence_uncertain and p2.valence_text.startswith("uncertain (score -0.10 [")
    assert p2.valence_text.endswith("reaches the margin ±0.1)")
    assert p1.coverage == p2.coverage == 1.0 and p1.frames_analysed == 40


def test_turning_points_at_a_cut_are_left_out_of_the_findings():
    rows = steady_rows(1, ["fear"] * 12 + ["happy"] * 12 + ["sad"] * 12, fps=4.0)
    table = make_table(rows)
    found = clip_turning_points(table, smooth_s=0.5, cuts_s=[3.0], margin_s=0.5)
    changes = found[found["kind"] == "change"]
    assert changes["time_s"].round(2).tolist() == [3.0, 6.0]
    assert changes["at_cut"].tolist() == [True, False]
    (p,) = person_findings(table, found)
    assert p.turns_at_cut >= 1 and not p.turns["at_cut"].any()
    assert (p.turns["time_s"] - 3.0).abs().min() > 0.5
    figs = findings_figures([p])
    assert figs["turning_points_at_cut"] == {"P1": p.turns_at_cut}


def test_cuts_and_turning_points_are_drawn_apart_with_a_key():
    rows = steady_rows(1, ["fear"] * 12 + ["happy"] * 12 + [{"happy": 0.2, "sad": 0.8}] * 12)
    table = make_table(rows)
    found = clip_turning_points(table, smooth_s=0.5, cuts_s=[3.0], margin_s=0.5)
    fig = summary_figures.add_turning_points(
        core_figures.timeline_figure(table, cuts_s=[3.0]), found, [1.0]
    )
    names = {d.name for d in fig.data}
    assert {core_figures.CUT_KEY, summary_figures.CHANGE_KEY, summary_figures.AT_CUT_KEY} <= names
    dashes = [s.line.dash for s in fig.layout.shapes]
    assert dashes.count("solid") == 1  # the cut
    assert "dash" in dashes and "dot" in dashes  # the change at 6 s, the change at the cut
    assert any("(at a cut)" in a.text for a in fig.layout.annotations)
    assert fig.layout.xaxis.title.text == "time (s)" and fig.layout.yaxis.title.text


def _clip_with_a_cut(sample_dir, out):
    """Two shots of one performer: 3 s of the sample clip from 10 s (happy), then, mirrored
    and colour-graded as a second camera, 3 s from 3 s (sad); the cut at 3 s."""
    src = str(sample_dir / "WolfgangLanger_Pexels.mp4")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error"]
    cmd += ["-ss", "10", "-t", "3", "-i", src, "-ss", "3", "-t", "3", "-i", src]
    cmd += ["-filter_complex", "[1:v]hflip,hue=h=120:s=1.6[b];[0:v][b]concat=n=2:v=1:a=0[v]"]
    cmd += ["-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    subprocess.run([*cmd, str(out)], check=True)
    return out


@pytest.mark.slow
def test_a_clip_with_a_cut_marks_its_turning_points(sample_dir, tmp_path):
    from emohelpers.analysis.pipeline import load_or_analyze
    from emohelpers.report.findings_section import cuts_of, findings

    clip = _clip_with_a_cut(sample_dir, tmp_path / "cut.mp4")
    params = check_parameters(
        video=str(clip),
        out_dir=str(tmp_path / "out"),
        model="mini-xception",
        every_n=3,
        voice_enabled=False,
    )
    analysis = load_or_analyze(params.video, params.out_dir, params.settings, progress=False)
    cuts = cuts_of(analysis)
    assert len(cuts) == 1 and abs(cuts[0] - 3.0) < 0.1, cuts
    assert analysis.table["person"].nunique() == 1  # one performer across the cut
    found = clip_turning_points(analysis.table, params.smooth_s, cuts, params.cut_margin_s)
    near = (found["time_s"] - cuts[0]).abs() <= params.cut_margin_s
    assert near.any(), found  # the edit makes a turning point...
    assert found.loc[near, "at_cut"].all() and not found.loc[~near, "at_cut"].any()
    (person,) = findings(analysis, params)  # ...which the findings leave out
    assert person.turns_at_cut == int(near.sum())
    assert not ((person.turns["time_s"] - cuts[0]).abs() <= params.cut_margin_s).any()
    page = findings_html([person], clip_summary(analysis.table), params)
    assert f"{person.turns_at_cut} more at a cut" in page
    shown = turning_table(found)
    assert (shown["edit?"] == AT_CUT).sum() == int(near.sum())
    assert {"time (s)", "held (s)", "rise (probability)"} <= set(shown.columns)
    assert np.isnan(shown.loc[shown["kind"] == "rise", "held (s)"]).all()
