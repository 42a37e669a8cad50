"""Per-shot summaries (`summaries.shots.shot_table`) on tables whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emohelpers.core.errors import SchemaError
from emohelpers.summaries.shots import shot_table
from tests.helpers import make_table


def with_shots(rows, cuts):
    """`make_table(rows)` with `shot` = how many cut frames are <= each row's frame."""
    table = make_table(rows)
    table["shot"] = np.searchsorted(np.asarray(cuts), table["frame"], side="right")
    return table


def test_each_shot_has_its_span_persons_and_dominant_emotions():
    # 4 frames/s; shot 0: frames 0-3 (P1 happy x3, sad x1; P2 sad), shot 1: frames 4-5 with
    # nobody, shot 2: frames 6-7 (P1 angry).
    rows = []
    for f in range(4):
        rows += [(f, f / 4, 1, "happy" if f < 3 else "sad"), (f, f / 4, 2, "sad")]
    rows += [(4, 1.0, None, None), (5, 1.25, None, None)]
    rows += [(6, 1.5, 1, "angry"), (7, 1.75, 1, "angry")]
    shots = shot_table(with_shots(rows, [4, 6]))
    assert shots[["shot", "start_s", "end_s", "n_frames", "persons"]].values.tolist() == [
        [0, 0.0, 1.0, 4, 2],
        [0, 0.0, 1.0, 4, 2],
        [1, 1.0, 1.5, 2, 0],
        [2, 1.5, 2.0, 2, 1],
    ]
    assert shots["person"].tolist()[:2] == [1.0, 2.0] and np.isnan(shots["person"].iloc[2])
    assert shots["dominant"].tolist()[:2] + shots["dominant"].tolist()[3:] == [
        "happy",
        "sad",
        "angry",
    ]
    assert pd.isna(shots["dominant"].iloc[2]) and shots["n_face_frames"].tolist() == [4, 4, 0, 2]
    assert shots["valence_score"].iloc[0] == pytest.approx(0.5)


def test_a_person_key_column_other_than_the_track_id():
    rows = [(f, f / 4, 1 + f % 2, "happy") for f in range(4)]
    table = with_shots(rows, [])
    table["name"] = table["person"].map({1.0: "Ann", 2.0: "Ann"})
    shots = shot_table(table, "name")
    assert shots[["name", "n_face_frames", "persons"]].values.tolist() == [["Ann", 4, 1]]
    with pytest.raises(SchemaError, match="corpus_person"):
        shot_table(table, "corpus_person")
    assert shot_table(table.iloc[:0]).empty


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["happy", "sad", None]), min_size=1, max_size=30),
    st.sets(st.integers(1, 29), max_size=5),
)
def test_shots_partition_the_analysed_time(emotions, cuts):
    rows = [(f, f / 4, None if e is None else 1, e) for f, e in enumerate(emotions)]
    table = with_shots(rows, sorted(c for c in cuts if c < len(emotions)))
    shots = shot_table(table).drop_duplicates("shot")
    # Every analysed frame lies in exactly one shot; shots follow each other without gaps.
    assert shots["n_frames"].sum() == len(emotions)
    assert (shots["start_s"].to_numpy()[1:] == shots["end_s"].to_numpy()[:-1]).all()
    assert shots["start_s"].iloc[0] == 0.0
    assert shots["end_s"].iloc[-1] == pytest.approx(len(emotions) / 4 if len(emotions) > 1 else 0)


def test_shot_rows_put_each_shot_on_one_line():
    from emohelpers.report.shots_section import shot_rows

    rows = [(f, f / 4, 1 + f % 2, "happy" if f % 2 else "sad") for f in range(4)]
    rows += [(4, 1.0, None, None)]
    shots = shot_table(with_shots(rows, [4]))
    wide = shot_rows(shots)
    assert wide.to_dict("records") == [
        {
            "shot": 0,
            "start_s": 0.0,
            "end_s": 1.0,
            "n_frames": 4,
            "persons": 2,
            "dominant": "P1 sad (-1.00), P2 happy (+1.00)",
        },
        {"shot": 1, "start_s": 1.0, "end_s": 1.25, "n_frames": 1, "persons": 0, "dominant": ""},
    ]


@pytest.mark.notebooks
@pytest.mark.slow
def test_the_clip_report_shows_the_shot_table(report_dir):
    from emohelpers.analysis.table import Analysis
    from emohelpers.report.shots_section import shot_rows

    good = report_dir.good
    page = (good.folder / "report.html").read_text()
    from emohelpers.core.settings import AnalysisSettings
    from emohelpers.summaries.readable import readable

    table = readable(Analysis.load(good.folder).table, AnalysisSettings().min_quality)
    expected = shot_rows(shot_table(table))
    assert "<strong>Shots</strong> (" in page and len(expected) >= 1
    for row in expected.itertuples():
        assert f"<td>{row.dominant}</td>" in page and f"<td>{row.end_s:.2f}</td>" in page
