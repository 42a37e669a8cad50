"""The corpus report's tables: one row per clip with its report's link where the file
exists, every cell escaped, numbers sortable by value."""

from __future__ import annotations

import pandas as pd

from emohelpers.corpus import clip_table, dataset

SCRIPT = "<script>alert(1)</script>"


def clips_frame() -> pd.DataFrame:
    rows = [
        {
            "clip": "a",
            "status": "ok",
            "dominant": "happy",
            "valence_score": 0.5,
            "verdict": "positive",
            "face_coverage": 1.0,
            "persons": 1,
            "frames_analysed": 9,
            "report": "clips/a/report.html",
            "speaker": SCRIPT,
        },
        {
            "clip": "b",
            "status": "ok",
            "dominant": "sad",
            "valence_score": -0.25,
            "verdict": "negative",
            "face_coverage": 0.0,
            "persons": 0,
            "frames_analysed": 12,
            "report": "clips/b/report.html",
            "speaker": "Bob",
        },
        {"clip": "c", "status": "failed", "error": "broken", "speaker": None},
    ]
    return dataset.clips_frame(rows, ["speaker"])


def test_rows_link_only_reports_that_exist(tmp_path):
    (tmp_path / "clips" / "a").mkdir(parents=True)
    (tmp_path / "clips" / "a" / "report.html").write_text("<p>a</p>")
    rows = clip_table.clip_rows(clips_frame(), tmp_path)
    assert rows["href"].tolist() == ["../clips/a/report.html", None, None]
    assert rows["face_coverage_pct"].tolist()[:2] == [100.0, 0.0]
    assert list(rows.columns[:8]) == list(clip_table.CLIP_TABLE_COLUMNS)
    assert clip_table.clip_rows(clips_frame())["href"].isna().all()


def test_the_table_escapes_cells_and_keeps_values_for_sorting(tmp_path):
    (tmp_path / "clips" / "a").mkdir(parents=True)
    (tmp_path / "clips" / "a" / "report.html").write_text("<p>a</p>")
    page = clip_table.table_html(clip_table.clip_rows(clips_frame(), tmp_path))
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="../clips/a/report.html">a</a>' in page
    assert '<td data-value="-0.25">-0.25</td>' in page and '<td data-value=""></td>' in page
    assert "href" not in page.split("<thead>")[1].split("</thead>")[0]
    other = clip_table.table_html(clip_table.clip_rows(clips_frame()))
    assert other.split('id="')[1] != page.split('id="')[1]  # two tables on a page: two ids


def test_person_rows_show_track_ids_as_labels():
    units = pd.DataFrame({"clip": ["a"], "person": [1.0], "dominant": ["happy"]})
    assert clip_table.person_rows(units, "person")["person"].tolist() == ["P1"]
    named = pd.DataFrame({"clip": ["a"], "name": ["Ann"], "dominant": ["happy"]})
    assert clip_table.person_rows(named, "name")["name"].tolist() == ["Ann"]
