"""Corpus inputs: files, folders (recursively), CSV manifests with metadata; each problem
handled on its own (the manifest reads no video content, so small stand-in files do)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from emohelpers.core.errors import ParameterError
from emohelpers.corpus.manifest import read_inputs
from emohelpers.report.folders import clip_source_id


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"stand-in")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in [
        "a/one.mp4",
        "a/deep/two.MOV",
        "a/deep/one.mp4",
        "a/.hidden/x.mp4",
        "a/notes.txt",
        "a/out/annotated.mp4",
    ]:
        touch(tmp_path / rel)
    return tmp_path


def test_folders_are_searched_recursively_without_hidden_or_output_folders(tree):
    clips = read_inputs([tree / "a"], exclude=tree / "a" / "out")
    assert [c.video.relative_to(tree / "a").as_posix() for c in clips] == [
        "deep/one.mp4",
        "deep/two.MOV",
        "one.mp4",
    ]
    # Same stems get unique, safe names: folders and partition values.
    # (the second "one" by its path's hash: stable whatever else the corpus holds)
    assert [c.name for c in clips] == ["one", "two", f"one-{clip_source_id(clips[2].video)}"]
    assert all(c.problem is None and c.metadata == {} for c in clips)


def test_csv_manifest_relative_paths_metadata_missing_file_and_duplicate(tree, caplog):
    csv = tree / "lists" / "debates.csv"
    csv.parent.mkdir()
    csv.write_text(
        "video,debate_id,speaker\n"
        "../a/one.mp4,d1,Ann\n"
        f"{tree / 'a/deep/two.MOV'},d1,\n"  # absolute path, empty cell
        "../a/missing.mp4,d2,Bob\n"
        "\n"
        "../a/one.mp4,d1,Ann\n"  # duplicate row
    )
    with caplog.at_level(logging.WARNING):
        clips = read_inputs([csv])
    assert [c.name for c in clips] == ["one", "two", "missing"]
    assert clips[0].video == (tree / "a" / "one.mp4").resolve()
    assert clips[0].metadata == {"debate_id": "d1", "speaker": "Ann"}
    assert clips[1].metadata == {"debate_id": "d1", "speaker": None}
    assert clips[0].problem is None and clips[1].problem is None
    assert clips[2].problem == "../a/missing.mp4: no such file (debates.csv, line 4)"
    assert "line 6: duplicates line 2" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty CSV manifest"),
        ("path,speaker\nx.mp4,A\n", "no 'video' column"),
        ("video,speaker,speaker\nx.mp4,A,B\n", "empty or repeated column names"),
        ("video,happy,clip\nx.mp4,1,2\n", "clash with the corpus table's own columns"),
        ("video,speaker\n,A\n", "line 2: empty 'video'"),
        ("video,speaker\nx.mp4,A,extra\n", "line 2: 3 fields, the header has 2"),
        ("video,speaker\nx.mp4,A\nx.mp4,B\n", "lines 2 and 3: the same video"),
    ],
)
def test_bad_manifests_are_refused_with_file_line_and_fix(tmp_path, text, message):
    csv = tmp_path / "m.csv"
    csv.write_text(text)
    with pytest.raises(ParameterError, match="m.csv") as err:
        read_inputs([csv])
    assert message in str(err.value)


def test_bad_command_line_inputs(tmp_path):
    with pytest.raises(ParameterError, match="no such file or folder"):
        read_inputs([tmp_path / "nothing.mp4"])
    with pytest.raises(ParameterError, match="not a video file"):
        read_inputs([touch(tmp_path / "notes.txt")])


def test_metadata_columns_are_the_union_over_manifests_and_a_video_is_taken_once(tree):
    (tree / "m1.csv").write_text("video,speaker\na/one.mp4,Ann\n")
    (tree / "m2.csv").write_text("video,topic\na/deep/two.MOV,tax\n")
    clips = read_inputs([tree / "m1.csv", tree / "m2.csv", tree / "a" / "one.mp4"])
    assert [c.name for c in clips] == ["one", "two"]
    assert clips[0].metadata == {"speaker": "Ann", "topic": None}
    assert clips[1].metadata == {"speaker": None, "topic": "tax"}
