"""Named persons (issue 21): a cast photo cropped from one frame of a real sample clip names
that person in the other clips they appear in, and nobody in clips without them; bad cast
folders fail with one line naming the file. Real clips, the real face detector and dlib's
real face descriptor."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.person_table import load_person_table
from emohelpers.core.errors import CastError, ParameterError, SchemaError
from tests.cast_media import altered_clips, cast_photo

SETTINGS = {"model": "mini-xception", "every_n": 6, "voice_enabled": False}
MAN = "Candidate A"


@pytest.fixture(scope="module")
def media(sample_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("cast")
    cast = root / "cast"
    # One frame of the man of single_face.mp4: he is also in face_noface and noface_face.
    cast_photo(sample_dir / "single_face.mp4", 1.2, cast / MAN / "frame.png")
    return {"cast": cast, "root": root, **altered_clips(sample_dir, root / "clips")}


@pytest.fixture(scope="module")
def analyzer(media):
    from emohelpers.analysis.analyzer import Analyzer

    return Analyzer(progress=False, cast=str(media["cast"]), **SETTINGS)


def named(analysis) -> set:
    return set(analysis.table["name"].dropna())


@pytest.mark.parametrize("clip", ["face_noface.mov", "noface_face.mov", "single_face.mp4"])
def test_the_enrolled_person_is_found_in_the_clips_they_are_in(analyzer, sample_dir, clip):
    result = analyzer(sample_dir / clip)
    faces = result.table[result.table["face"].notna()]
    assert len(faces) and (faces["name"] == MAN).all()
    assert result.table.loc[result.table["face"].isna(), "name"].isna().all()
    assert list(result.persons["name"]) == [MAN]
    block = result.provenance.extra["cast"]
    assert block["enrolled"] == [MAN] and block["named"]["1"]["name"] == MAN
    assert block["named"]["1"]["distance"] < block["max_distance"]
    assert set(block["key"]) == {f"{MAN}/frame.png"}


@pytest.mark.parametrize("clip", ["WolfgangLanger_Pexels.mp4", "no_face.mp4", "woman_later"])
def test_the_enrolled_person_is_never_found_in_a_clip_without_them(
    analyzer, sample_dir, media, clip
):
    result = analyzer(media[clip] if clip in media else sample_dir / clip)
    assert named(result) == set()
    assert result.provenance.extra["cast"]["named"] == {}


def test_of_two_persons_in_one_frame_only_the_enrolled_one_is_named(analyzer, media):
    result = analyzer(media["duo"])
    persons = result.persons.set_index("person")
    assert len(persons) == 2 and all(len(w) == 1 for w in persons["seen_with"])
    assert persons["name"].dropna().tolist() == [MAN]
    man = int(persons.index[persons["name"] == MAN][0])
    rows = result.table[result.table["name"] == MAN]
    assert set(rows["person"]) == {man}
    # the man is the right-hand tile of the side-by-side clip
    assert (rows["x1"] > 640).all()


def test_the_person_table_is_saved_and_a_new_cast_renames_without_analysing(
    analyzer, sample_dir, media, tmp_path
):
    from emohelpers.analysis.pipeline import load_or_analyze
    from emohelpers.analysis.table import Analysis

    clip = sample_dir / "face_noface.mov"
    out = tmp_path / "clip"
    first = load_or_analyze(clip, out, cast=str(media["cast"]), **SETTINGS)
    assert named(first) == {MAN}
    saved = Analysis.load(out)
    assert named(saved) == {MAN} and len(load_person_table(out)) == 1
    assert len(saved.persons["descriptor"][0]) == 128
    # Another cast: the same man under another name, from another frame.
    other = tmp_path / "cast2"
    cast_photo(sample_dir / "single_face.mp4", 0.3, other / "Dr. B" / "b.jpg")
    second = load_or_analyze(clip, out, cast=str(other), **SETTINGS)
    assert named(second) == {"Dr. B"}
    assert second.provenance.created_utc == first.provenance.created_utc  # faces reused
    third = load_or_analyze(clip, out, **SETTINGS)  # no cast: nobody named
    assert named(third) == set() and third.provenance.created_utc == first.provenance.created_utc
    pd.testing.assert_frame_equal(
        third.table.drop(columns="name"), first.table.drop(columns="name")
    )


def _bad_casts(root, sample_dir):
    from PIL import Image

    from tests.cast_media import frame_at

    empty = root / "empty"
    empty.mkdir()
    no_photo = root / "no_photo"
    (no_photo / "Ann").mkdir(parents=True)
    (no_photo / "Ann" / "notes.txt").write_text("not a photo")
    unreadable = root / "unreadable"
    (unreadable / "Ann").mkdir(parents=True)
    (unreadable / "Ann" / "broken.jpg").write_bytes(b"not a jpeg at all" * 20)
    faceless = root / "faceless"
    (faceless / "Ann").mkdir(parents=True)
    Image.fromarray(frame_at(sample_dir / "no_face.mp4", 1.0)).save(faceless / "Ann" / "room.png")
    return {
        "missing": (root / "nowhere", "nowhere: not a folder"),
        "empty": (empty, "empty: no person folder"),
        "no photo": (no_photo, "no_photo/Ann: no photo"),
        "unreadable": (unreadable, "Ann/broken.jpg: unreadable as an image"),
        "faceless": (faceless, "Ann/room.png: no face found"),
    }


def test_bad_cast_input_fails_with_one_line_naming_the_file(sample_dir, tmp_path):
    from emohelpers.analysis.analyzer import Analyzer

    for folder, message in _bad_casts(tmp_path, sample_dir).values():
        with pytest.raises(CastError, match=message):
            Analyzer(progress=False, cast=str(folder), **SETTINGS)


def test_the_command_line_names_the_bad_photo_in_one_line(sample_dir, tmp_path):
    folder, message = _bad_casts(tmp_path, sample_dir)["faceless"]
    proc = subprocess.run(
        [sys.executable, "-m", "emohelpers", "-q", "analyze", str(sample_dir / "no_face.mp4")]
        + ["--cast", str(folder), "--model", "mini-xception", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_a_cast_needs_re_identification():
    from emohelpers.core.settings import AnalysisSettings

    with pytest.raises(ParameterError, match="--no-reid"):
        AnalysisSettings.from_flat(cast="/tmp", reid=False)


def test_the_cast_is_a_setting_recorded_in_the_provenance(analyzer, sample_dir, media):
    result = analyzer(sample_dir / "single_face.mp4")
    assert result.provenance.extra["cast"]["folder"] == str(media["cast"].absolute())
    assert json.loads(json.dumps(result.provenance.to_dict()))["cast"]["enrolled"] == [MAN]
    assert np.isfinite(result.persons["descriptor"][0]).all()


def test_names_show_in_the_key_figures_the_index_and_the_figures():
    from emohelpers.analysis.table import DTYPES, validate_table
    from emohelpers.figures.core_figures import person_radar_figure, timeline_figure
    from emohelpers.report.index_page import _people
    from emohelpers.summaries.clip_summary import clip_summary
    from tests.helpers import two_persons_table

    table = two_persons_table()
    names = [MAN if p == 1 else None for p in table["person"]]
    table["name"] = pd.array(names, dtype=DTYPES["name"])
    validate_table(table)
    figures = clip_summary(table).as_dict()
    assert set(figures["dominant"]) == {f"{MAN} (P1)", "P2"}
    assert figures["main_person"] == f"{MAN} (P1)"
    assert f"{MAN} (P1)" in _people(figures)
    titles = [a.text for a in timeline_figure(table).layout.annotations]
    assert titles == [f"{MAN} (P1)", "P2"]
    assert {t.name for t in person_radar_figure(table).data} == {f"{MAN} (P1)", "P2"}
    # A person never has two names.
    table.loc[table.index[2], "name"] = "Someone else"
    with pytest.raises(SchemaError, match="two names"):
        validate_table(table)
