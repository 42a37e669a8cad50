"""The analyzer is built once and reused (issue 17): two calls build no model twice, and
each call gives what `analyze()` gives. Checked on real clips with the real offline model
and the real voice models; constructions are counted by the analyzer itself."""

from __future__ import annotations

import pandas as pd
import pytest

from emohelpers.analysis.analyzer import Analyzer, shared_classifier
from emohelpers.analysis.pipeline import analyze
from tests.late_start import make_late_start_clip

SETTINGS = {"model": "mini-xception", "every_n": 6}


@pytest.fixture(scope="module")
def clips(sample_dir, tmp_path_factory):
    """A clip with sound and a cut (two faces to re-identify), and a short one."""
    late = make_late_start_clip(sample_dir, tmp_path_factory.mktemp("analyzer") / "late.mp4")
    return [late, sample_dir / "single_face.mp4"]


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(progress=False, **SETTINGS)


def test_models_are_built_once_and_reused(analyzer, clips):
    built = dict(analyzer.builds)
    assert built == {"classifier": 1, "detector": 1, "vad": 1, "voice_classifier": 1}
    detector, classifier = analyzer.detector, analyzer.classifier
    vad, voice = analyzer.vad, analyzer.voice_classifier
    first = analyzer(clips[0])
    embedder = analyzer._embedder
    assert first.provenance.tracker["reid"]["tracks_embedded"] >= 2  # dlib was needed
    second = analyzer(clips[1])
    again = analyzer(clips[0])
    assert analyzer.builds == {**built, "face_embedder": 1}
    assert analyzer._embedder is embedder is not None
    assert (analyzer.detector, analyzer.classifier) == (detector, classifier)
    assert (analyzer.vad, analyzer.voice_classifier) == (vad, voice)
    # Per-clip state is fresh: the same clip twice gives the same table.
    pd.testing.assert_frame_equal(first.table, again.table)
    assert second.provenance.video["name"] == "single_face.mp4"


@pytest.mark.parametrize("which", [0, 1])
def test_results_equal_those_of_analyze(analyzer, clips, which):
    clip = clips[which]
    mine, theirs = analyzer(clip), analyze(clip, progress=False, **SETTINGS)
    pd.testing.assert_frame_equal(mine.table, theirs.table)
    if theirs.voice is None:
        assert mine.voice is None
    else:
        pd.testing.assert_frame_equal(mine.voice, theirs.voice)
    drop = ("seconds", "created_utc")
    a, b = mine.provenance.to_dict(), theirs.provenance.to_dict()
    for d in (a, b):
        for key in drop:
            d.pop(key, None)
        d.pop("summary", None)
        d.get("voice", {}).pop("seconds", None)
    assert a == b


def test_analyze_and_the_report_share_the_process_classifier(analyzer):
    """`analyze()` without a classifier, the explain section and the explorer all use the
    process's one classifier of the model and device: none reloads it."""
    assert shared_classifier("mini-xception", "cpu") is analyzer.classifier
    own = Analyzer(progress=False, batch_faces=3, voice_enabled=False, **SETTINGS)
    assert own.classifier is not analyzer.classifier and own.classifier.batch_size == 3
    assert analyzer.classifier.batch_size != 3
