"""Clip folder names of a report batch: unique in the batch (names that map to one folder
name, case-only differences, one stem in two input folders) and stable across reruns, so
that no clip's report silently replaces another's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from emohelpers.report.clip_status import write_status
from emohelpers.report.run import clip_folders, clip_source_id

SUFFIX = r"-[0-9a-f]{8}"


def _unique(names):
    return len({n.lower() for n in names}) == len(names)


@pytest.mark.parametrize(
    "videos",
    [
        [Path("x/a b.mp4"), Path("x/a_b.mp4")],
        [Path("x/clip.mp4"), Path("x/Clip.mp4"), Path("x/CLIP.mov")],
        [Path("one/clip.mp4"), Path("two/clip.mp4")],
        [Path("x/a b.mp4"), Path("x/a_b.mp4"), Path("x/a_b-2.mp4"), Path("x/a!b.mp4")],
    ],
    ids=["space-underscore", "case", "two folders", "many"],
)
def test_names_are_unique_and_independent_of_order(videos):
    names = clip_folders(videos)
    assert _unique(names) and all(re.fullmatch(r"[A-Za-z0-9._-]+", n) for n in names)
    backwards = clip_folders(videos[::-1])[::-1]
    # who keeps the plain name may depend on the batch; a suffixed name never changes
    for a, b in zip(names, backwards, strict=True):
        assert a == b or not (re.search(SUFFIX + "$", a) and re.search(SUFFIX + "$", b))


def test_a_clean_stem_keeps_its_name():
    names = clip_folders([Path("x/a b.mp4"), Path("x/a_b.mp4")])
    assert names[1] == "a_b" and re.fullmatch("a_b" + SUFFIX, names[0])


def test_a_folder_of_another_clip_is_never_reused(tmp_path):
    first, second = Path("/data/x/a b.mp4"), Path("/data/y/a_b.mp4")
    [name] = clip_folders([first], tmp_path)
    assert name == "a_b"
    write_status(tmp_path / name, "ok", first.name, source=clip_source_id(first))
    # a later batch with the other clip: its own folder; the first clip keeps its folder
    assert re.fullmatch("a_b" + SUFFIX, clip_folders([second], tmp_path)[0])
    assert clip_folders([second, first], tmp_path)[1] == "a_b"
    assert clip_folders([first], tmp_path) == ["a_b"]


def test_an_older_folder_without_source_is_kept_by_its_video_name(tmp_path):
    write_status(tmp_path / "clip", "ok", "clip.mp4")
    assert clip_folders([Path("/d/clip.mp4")], tmp_path) == ["clip"]
    assert re.fullmatch("Clip" + SUFFIX, clip_folders([Path("/d/Clip.mp4")], tmp_path)[0])


@pytest.mark.slow
def test_two_batches_of_colliding_names_keep_both_reports(sample_dir, tmp_path):
    from emohelpers.core.settings import AnalysisSettings
    from emohelpers.report.run import run_reports

    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(sample_dir / "single_face.mp4", clips / "a b.mp4")
    shutil.copy(sample_dir / "no_face.mp4", clips / "a_b.mp4")
    out = tmp_path / "reports"
    settings = AnalysisSettings.from_flat(model="mini-xception", every_n=24, voice_enabled=False)
    kw = {"sections": ["clip"], "progress": False}
    [one] = run_reports([clips / "a b.mp4"], out, settings, **kw)
    [two] = run_reports([clips / "a_b.mp4"], out, settings, **kw)
    assert one.ok and two.ok and one.folder != two.folder
    for r, video in ((one, "a b.mp4"), (two, "a_b.mp4")):
        assert r.report.is_file() and video in r.report.read_text()
    index = (out / "index.html").read_text()
    for r in (one, two):
        assert f'href="{r.folder.name}/report.html"' in index
