"""Tests of summaries.clip_summary: one clip's key figures, hand-computed on synthetic tables,
and the same figures in the report, its index and the corpus row of one real sample clip."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from emohelpers.analysis.table import Analysis
from emohelpers.lab import demo_corpus
from emohelpers.summaries.clip_summary import (
    NOT_ANALYSED,
    ClipSummary,
    clip_summary,
    summarise_analysis,
)
from tests.helpers import make_table, two_persons_table


def test_two_persons_hand_computed():
    table = two_persons_table()
    before = table.copy()
    s = clip_summary(table, analysis_seconds=1.5, frames_per_s=3.33)
    pd.testing.assert_frame_equal(table, before)
    # frames 0, 1, 2, 3, 8 analysed; faces in 0, 1, 8; five face rows; one shot
    assert (s.frames_analysed, s.frames_with_face, s.faces, s.shots) == (5, 3, 5, 1)
    assert s.face_coverage == pytest.approx(0.6) and s.n_persons == 2
    assert s.main_persons == (1.0, 2.0) and s.main_person.person == 1.0
    p1, p2 = s.persons
    # P1 votes happy, neutral, angry (a tie): the higher mean, happy (0.467), wins.
    assert (p1.person, p1.face_frames, p1.dominant, p1.verdict) == (1.0, 3, "happy", "positive")
    assert p1.valence_score == pytest.approx((1.4 - 1.0) / 3)  # happy - (angry + fear)
    assert (p2.face_frames, p2.dominant, p2.valence_score, p2.verdict) == (2, "sad", -1, "negative")
    # The clip, all faces pooled: sad has two votes; score (1.4 - 3.0) / 5.
    assert (s.dominant, s.verdict) == ("sad", "negative")
    assert s.valence_score == pytest.approx(-0.32)
    assert s.voice is None
    d = s.as_dict()
    assert d["dominant"] == {"P1": "happy", "P2": "sad"}
    assert d["verdicts"] == {"P1": "positive", "P2": "negative"}
    assert d["valence_scores"] == {"P1": 0.1333, "P2": -1.0}
    assert (d["main_person"], d["main_persons"], d["persons"]) == ("P1", ["P1", "P2"], 2)
    assert (d["face_coverage"], d["clip_dominant"], d["clip_valence_score"]) == (0.6, "sad", -0.32)
    assert (d["analysis_seconds"], d["frames_per_s"]) == (1.5, 3.33)
    assert "voice_status" not in d
    assert json.loads(json.dumps(d)) == d  # JSON-ready
    row = s.row()
    assert (row["main_person"], row["dominant"], row["verdict"]) == (1.0, "happy", "positive")
    assert row["face_coverage"] == pytest.approx(0.6)


def tie_table():
    """P2 votes sad then happy (a tie; happy has the higher mean) in 2 frames; P1 is seen in 2
    frames too (a tie on frames: the lower id, P1, is the main person)."""
    return make_table(
        [
            (0, 0.0, 2, {"sad": 0.6, "happy": 0.4}),
            (1, 0.5, 2, {"happy": 0.9, "sad": 0.1}),
            (1, 0.5, 1, "neutral"),
            (2, 1.0, 1, "neutral"),
        ]
    )


def test_ties_follow_the_summaries_rule():
    s = clip_summary(tie_table())
    assert s.main_persons == (1.0, 2.0)  # equal frames: the lower id first
    assert s.person(2).dominant == "happy"  # vote tie -> higher mean (0.65 > 0.35)
    with pytest.raises(KeyError, match="person 7"):
        s.person(7)
    # The clip: neutral 2 votes beats sad 1 and happy 1.
    assert s.dominant == "neutral"
    # A pooled vote tie goes to the higher mean, then to the first in EMOTIONS order.
    t = make_table([(0, 0.0, 1, "sad"), (1, 0.5, 2, "happy")])
    assert clip_summary(t).dominant == "happy"  # equal votes, equal means: happy before sad


def test_demo_corpus_rows_use_the_same_rule():
    table = tie_table().assign(person=lambda t: t["person"].map({1.0: 5.0, 2.0: 3.0}))
    prov = {"summary": {"seconds": 0.5, "frames_per_s": 8.0}}
    row = demo_corpus._row("c", Path("c.mp4"), Analysis(table, prov))
    # the main person: 3 and 5 are seen in 2 frames each -> 3; its vote tie -> happy
    assert (row["main_person"], row["dominant"]) == (3.0, "happy")
    assert row == {**row, **clip_summary(table, analysis_seconds=0.5, frames_per_s=8.0).row()}


def test_clip_without_a_face():
    s = clip_summary(make_table([(0, 0.0, None, None), (4, 0.5, None, None)]), voice_status="off")
    assert (s.frames_analysed, s.frames_with_face, s.faces, s.n_persons) == (2, 0, 0, 0)
    assert s.face_coverage == 0.0 and s.main_person is None and s.main_persons == ()
    assert (s.dominant, s.valence_score, s.verdict) == (None, None, None)
    d = s.as_dict()
    assert d["dominant"] == {} and d["main_person"] is None and d["clip_verdict"] is None
    assert (d["voice_status"], d["voice_windows"], d["voice_dominant"]) == ("off", 0, None)
    row = s.row()
    assert row["main_person"] is None and row["dominant"] is None and row["persons"] == 0


def test_summarise_analysis_reads_run_facts_from_the_provenance():
    prov = {"summary": {"seconds": 2.0, "frames_per_s": 2.5}}
    s = summarise_analysis(Analysis(two_persons_table(), prov))
    assert isinstance(s, ClipSummary)
    assert (s.analysis_seconds, s.frames_per_s) == (2.0, 2.5)
    assert s.voice.status == NOT_ANALYSED and s.voice.windows == 0


# --- one real clip: the corpus row, key_figures.json and the index show the same figures ---


def _index_row(page: str, name: str) -> str:
    rows = [r for r in page.split("<tr") if html.escape(name) in r]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.slow
def test_report_index_and_corpus_show_the_same_figures(sample_dir, tmp_path):
    from emohelpers.corpus import dataset
    from emohelpers.corpus.manifest import Clip
    from emohelpers.corpus.task import TaskSettings, run_clip
    from emohelpers.report.clip_status import write_status
    from emohelpers.report.index_page import ClipResult, write_index
    from emohelpers.report.parameters import check_parameters
    from emohelpers.report.sections import KEY_FIGURES_FILE, clip_facts, record_key_figures

    video = sample_dir / "single_face.mp4"
    settings = TaskSettings(analysis={"model": "mini-xception", "every_n": 8})
    row = run_clip(Clip("single", video, "test"), tmp_path, settings)
    assert row["status"] == "ok", row.get("error")
    dataset.write_clips(tmp_path, [row])
    stored = dataset.read_clips(tmp_path).iloc[0]
    folder = dataset.clip_folder(tmp_path, "single")
    analysis = Analysis.load(folder)
    params = check_parameters(
        video=str(video), out_dir=str(folder), model="mini-xception", every_n=8
    )
    record_key_figures(analysis, params)
    key = json.loads((folder / KEY_FIGURES_FILE).read_text())
    write_status(folder, "ok", video.name)
    page = write_index([ClipResult.from_folder(folder)], tmp_path).read_text()

    expected = summarise_analysis(analysis)
    # The provenance keeps the run's own facts; the key figures come from the table.
    run = analysis.provenance.summary
    assert "frames_with_face" not in run and run["frames_analysed"] == expected.frames_analysed
    assert expected.n_persons >= 1 and expected.frames_analysed == 9
    main = expected.main_person
    for source in (row, stored):
        assert source["frames_analysed"] == key["frames_analysed"] == expected.frames_analysed
        assert source["frames_with_face"] == key["frames_with_face"]
        assert source["faces"] == key["faces"] and source["persons"] == key["persons"]
        assert round(source["face_coverage"], 4) == key["face_coverage"]
        assert source["main_person"] == main.person and key["main_person"] == main.label
        assert source["dominant"] == key["dominant"][main.label] == main.dominant
        assert source["verdict"] == key["verdicts"][main.label] == main.verdict
        assert round(source["valence_score"], 4) == key["valence_scores"][main.label]
        assert source["analysis_seconds"] == key["analysis_seconds"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", _index_row(page, video.name))
    assert cells[3] == str(key["persons"])
    for label, emotion in key["dominant"].items():
        interval = key["dominant_interval"][label]  # the same emotion, with its interval
        assert re.match(rf"^(uncertain: )?{emotion} \d+% \[\d+-\d+%\]", interval), interval
        assert f"<b>{label}</b> {interval}" in cells[4]
        assert f"valence: {key['valence_interval'][label]}" in cells[4]
        assert key["valence_interval"][label].split()[0] in (key["verdicts"][label], "uncertain")
    facts = dict(clip_facts(analysis).to_numpy())
    assert facts["persons"] == str(key["persons"])
    assert facts["face coverage"].startswith(
        f"{key['frames_with_face']} of {key['frames_analysed']} frames"
    )
