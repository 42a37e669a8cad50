"""Persons across a corpus (issue 21): without a cast the same face is linked across clips
(`corpus_person`), never two persons seen in one frame; with a cast every output names
them. Real sample clips and altered copies, the real models, a real LocalCluster."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emohelpers.analysis.tracking.linking import link_descriptors
from tests.cast_media import altered_clips, cast_photo

FAST = {"model": "mini-xception", "every_n": 8, "voice_enabled": False}


def e(*v: float) -> np.ndarray:
    out = np.zeros(128)
    out[: len(v)] = v
    return out


def test_link_descriptors_joins_near_faces_and_numbers_by_first_row():
    x = np.stack([e(0, 0), e(1, 0), e(0.1, 0), e(1, 0.1), e(5, 5)])
    assert link_descriptors(x, [], 0.6).tolist() == [1, 2, 1, 2, 3]


def test_link_descriptors_never_joins_a_pair_seen_in_one_frame():
    x = np.stack([e(0, 0), e(0.1, 0), e(0.05, 0)])
    # 0 and 1 share a frame: 2 joins the nearer one only.
    labels = link_descriptors(x, [(0, 1)], 0.6)
    assert labels[0] != labels[1] and labels[2] in (labels[0], labels[1])
    assert link_descriptors(np.zeros((0, 128)), [], 0.6).tolist() == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=8),
)
def test_linked_groups_never_hold_a_forbidden_pair_and_stay_within_the_distance(points, pairs):
    x = np.stack([e(a, b) for a, b in points])
    cannot = [(a, b) for a, b in pairs if a < len(x) and b < len(x) and a != b]
    labels = link_descriptors(x, cannot, 0.6)
    assert all(labels[a] != labels[b] for a, b in cannot)
    assert sorted(set(labels)) == list(range(1, len(set(labels)) + 1))
    for g in set(labels):  # average linkage: a group's mean pairwise distance is < 0.6
        m = x[labels == g]
        if len(m) > 1:
            d = np.sqrt(((m[:, None] - m[None]) ** 2).sum(-1))
            assert d[np.triu_indices(len(m), 1)].mean() < 0.6


@pytest.fixture(scope="module")
def corpus_dir(sample_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("persons")
    videos = root / "videos"
    videos.mkdir()
    for name in ("WolfgangLanger_Pexels.mp4", "single_face.mp4", "face_noface.mov", "no_face.mp4"):
        shutil.copy(sample_dir / name, videos / name)
    for name, path in altered_clips(sample_dir, root / "made").items():
        shutil.copy(path, videos / f"{name}.mp4")
    return root


def by_clip(persons: pd.DataFrame) -> dict[str, dict[int, int]]:
    return {
        c: dict(zip(g["person"], g["corpus_person"], strict=True))
        for c, g in persons.groupby("clip")
    }


def test_a_corpus_links_the_same_face_across_clips_and_a_cast_names_it(corpus_dir, sample_dir):
    from emohelpers.corpus import dataset
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.persons import read_corpus_persons
    from emohelpers.corpus.task import TaskSettings

    clips = read_inputs([corpus_dir / "videos"])
    out = corpus_dir / "out"
    run = run_corpus(clips, out, TaskSettings(analysis=FAST), workers=0, progress=False)
    assert run.ok
    persons = read_corpus_persons(out)
    links = by_clip(persons)
    assert "no_face" not in links
    woman = links["WolfgangLanger_Pexels"][1]
    man = links["single_face"][1]
    assert woman != man
    assert links["woman_later"] == {1: woman} and links["face_noface"] == {1: man}
    assert sorted(links["duo"].values()) == sorted([woman, man])  # one frame: two persons
    assert persons["name"].isna().all()
    emotions = dataset.read_emotions(out)
    faces = emotions[emotions["face"].notna()]
    assert faces["corpus_person"].notna().all()
    assert set(faces.loc[faces["clip"] == "woman_later", "corpus_person"]) == {woman}

    # The same corpus with a cast of one frame of the man, on a real 2-worker LocalCluster:
    # the faces are reused, the names are new, and every output names him.
    cast = corpus_dir / "cast"
    cast_photo(sample_dir / "single_face.mp4", 1.2, cast / "Candidate A" / "a.png")
    created = {c.name: _created(out, c.name) for c in clips}
    named = TaskSettings(analysis={**FAST, "cast": str(cast)})
    run = run_corpus(clips, out, named, workers=2, progress=False)
    assert run.ok and not any(r.get("skipped") for r in run.rows)
    assert {c.name: _created(out, c.name) for c in clips} == created  # no clip re-analysed
    table = dataset.read_clips(out).set_index("clip")
    has_man = {"single_face", "face_noface", "duo"}
    assert set(table.index[table["names"].notna()]) == has_man
    assert (table.loc[list(has_man), "names"] == "Candidate A").all()
    persons = read_corpus_persons(out)
    assert set(persons.loc[persons["name"] == "Candidate A", "clip"]) == has_man
    assert persons.loc[persons["name"] == "Candidate A", "corpus_person"].nunique() == 1
    emotions = dataset.read_emotions(out)
    assert set(emotions.loc[emotions["name"] == "Candidate A", "clip"]) == has_man
    # A rerun with the same cast skips every clip.
    again = run_corpus(clips, out, named, workers=0, progress=False)
    assert all(r.get("skipped") for r in again.rows)


def _created(out, clip: str) -> str:
    import json

    from emohelpers.corpus import dataset

    prov = dataset.clip_folder(out, clip) / "provenance.json"
    return json.loads(prov.read_text())["created_utc"]


def test_a_bad_cast_stops_a_corpus_before_any_clip_runs(sample_dir, tmp_path):
    from emohelpers.core.errors import CastError
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.task import TaskSettings

    cast = tmp_path / "cast" / "Ann"
    cast.mkdir(parents=True)
    (cast / "a.png").write_text("not an image")
    settings = TaskSettings(analysis={**FAST, "cast": str(tmp_path / "cast")})
    clips = read_inputs([sample_dir / "single_face.mp4"])
    with pytest.raises(CastError, match="Ann/a.png: unreadable"):
        run_corpus(clips, tmp_path / "out", settings, workers=0, progress=False)
    assert not (tmp_path / "out" / "clips").exists()
