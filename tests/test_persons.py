"""Persons on real faces: clips spliced from the sample clips with hard cuts, sampled
sparsely, and two faces that swap sides across a cut (the real detector, tracker, shot
detector, dlib face descriptor and offline classifier)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emohelpers.analysis.pipeline import analyze
from emohelpers.core.settings import TrackerSettings
from tests.media import splice

pytestmark = pytest.mark.slow

WL, SF, FN = "WolfgangLanger_Pexels.mp4", "single_face.mp4", "face_noface.mov"


@pytest.fixture(scope="module")
def classifier():
    from emohelpers.analysis.classifiers import load_classifier

    return load_classifier("mini-xception", torch.device("cpu"))


def persons_by_shot(table) -> dict[int, list[float]]:
    """Shot -> its persons ordered by mean box x (left to right)."""
    faces = table.dropna(subset=["person"])
    order = faces.groupby(["shot", "person"])["x1"].mean().reset_index().sort_values(["shot", "x1"])
    return {int(s): g["person"].tolist() for s, g in order.groupby("shot")}


def test_cuts_and_re_entry_woman_man_woman(sample_dir, tmp_path, classifier):
    # Shots: the woman 5 s (frames 0-119 at 24 fps), the man 2 s (120-167), the woman again
    # from another moment of her clip 5 s (168-287).
    shots = [[(sample_dir / WL, 0, 5)], [(sample_dir / SF, 0, 2)], [(sample_dir / WL, 10, 5)]]
    clip = splice(tmp_path / "wmw.mp4", shots)
    table, prov = analyze(clip, every_n=4, classifier=classifier, progress=False)
    assert prov.tracker["shots"]["cuts_frame"] == [120, 168]  # found on the exact frame
    assert prov.tracker["shots"]["cuts_s"] == pytest.approx([5.0, 7.0], abs=1 / 24)
    by_shot = persons_by_shot(table)
    assert by_shot == {0: [1.0], 1: [2.0], 2: [1.0]}
    assert prov.summary["persons"] == 2 and prov.summary["shots"] == 3
    # Without re-identification the woman's second shot is a new person (tracks end at cuts).
    table, _ = analyze(
        clip, every_n=4, classifier=classifier, progress=False, tracker=TrackerSettings(reid=False)
    )
    assert persons_by_shot(table) == {0: [1.0], 1: [2.0], 2: [3.0]}


@pytest.mark.parametrize(
    "sampling",
    [{"every_n": 1, "end_s": 4.0}, {"every_n": 10}, {"every_n": 30}, {"fps": 0.5}],
    ids=["every_n=1", "every_n=10", "every_n=30", "fps=0.5"],
)
def test_one_person_at_every_sampling_rate(sample_dir, classifier, sampling):
    table, prov = analyze(
        sample_dir / WL,
        classifier=classifier,
        progress=False,
        tracker=TrackerSettings(reid=False),
        **sampling,
    )
    faces = table.dropna(subset=["person"])
    assert len(faces) >= 0.9 * table["frame"].nunique()
    # One track by motion alone (re-identification off), so one person with it on.
    assert set(faces["person"]) == {1.0}
    assert prov.summary["shots"] == 1


def test_ids_follow_faces_that_swap_sides_across_a_cut(sample_dir, tmp_path, classifier):
    # Shot 0: woman left, man right; shot 1: the man (from another clip of him) left, the
    # woman right.
    clip = splice(
        tmp_path / "swap.mp4",
        [
            [(sample_dir / WL, 0, 2), (sample_dir / SF, 0, 2)],
            [(sample_dir / FN, 0, 2), (sample_dir / WL, 5, 2)],
        ],
    )
    table, prov = analyze(clip, every_n=4, classifier=classifier, progress=False)
    assert prov.tracker["shots"]["cuts_frame"] == [48]
    by_shot = persons_by_shot(table)
    woman, man = by_shot[0]
    assert woman != man
    assert by_shot[1] == [man, woman]
    # Each person's boxes jump sides at the cut: the ids are not positions.
    x_woman = table[table["person"] == woman].groupby("shot")["x1"].mean()
    assert x_woman[0] < 640 < x_woman[1]
    assert np.isin(table["shot"].unique(), [0, 1]).all()
