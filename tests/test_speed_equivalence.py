"""The fast path gives the straightforward path's emotion table.

Straightforward: one frame per detector call, one face per classifier call, and (in one
variant) facenet-pytorch's own `MTCNN.detect`. Fast: `analyze`'s defaults (batches of
frames, batched MTCNN stages, batched classifier, detection in a background thread).
"""

import threading

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.analyzer import Analyzer, resolve_settings
from emohelpers.analysis.classifiers import load_classifier
from emohelpers.analysis.detect import FaceDetector
from emohelpers.analysis.pipeline import analyze
from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.assets import sample_clip
from emohelpers.core.background import in_background

BOX = ["x1", "y1", "x2", "y2"]


def _same_table(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert len(fast) == len(slow)
    for col in ("frame", "time_s", "face", "person", "emotion"):
        pd.testing.assert_series_equal(fast[col], slow[col])
    np.testing.assert_allclose(fast[BOX], slow[BOX], atol=1.0)
    np.testing.assert_allclose(fast["det_prob"], slow["det_prob"], atol=1e-4)
    np.testing.assert_allclose(fast[list(EMOTIONS)], slow[list(EMOTIONS)], atol=1e-4)


@pytest.fixture(scope="module")
def fast_and_slow():
    clip = sample_clip("WolfgangLanger_Pexels.mp4")
    kwargs = {"every_n": 3, "end_s": 12.0, "progress": False}
    fast = analyze(clip, classifier=load_classifier("mini-xception", "cpu"), **kwargs)
    slow = analyze(
        clip,
        classifier=load_classifier("mini-xception", "cpu", batch_size=1),
        batch_frames=1,
        **kwargs,
    )
    return fast, slow, clip, kwargs


@pytest.mark.slow
def test_fast_path_equals_one_frame_one_face_at_a_time(fast_and_slow):
    fast, slow, _, _ = fast_and_slow
    assert fast.provenance.summary["faces"] > 50
    _same_table(fast.table, slow.table)
    assert fast.provenance.detector["stages"] == "batched"


@pytest.mark.slow
def test_fast_path_equals_facenets_own_detect(fast_and_slow):
    fast, _, clip, kwargs = fast_and_slow
    settings = resolve_settings(every_n=kwargs["every_n"], end_s=kwargs["end_s"])
    analyzer = Analyzer(
        settings,
        classifier=load_classifier("mini-xception", "cpu", batch_size=1),
        face_detector=FaceDetector(settings.detector, batch_size=1, stages="facenet"),
        batch_frames=1,
        progress=False,
    )
    reference = analyzer(clip)
    assert reference.provenance.detector["stages"] == "facenet"
    _same_table(fast.table, reference.table)


def test_background_iteration_keeps_order_and_errors():
    assert list(in_background(iter(range(50)), depth=3)) == list(range(50))

    def failing():
        yield 1
        raise ValueError("boom")

    it = in_background(failing())
    assert next(it) == 1
    with pytest.raises(ValueError, match="boom"):
        next(it)


def test_background_iteration_stopped_early_closes_the_source():
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    it = in_background(endless(), depth=2)
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    it.close()
    assert closed.wait(5)
