"""The analysis pipeline on the real sample clips with the real offline model."""

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.classifiers import load_classifier
from emohelpers.analysis.detect import DetectorSettings, FaceDetector, crop_faces, square_box
from emohelpers.analysis.pipeline import analyze, load_or_analyze
from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.analysis.video import iter_frames
from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import ParameterError, VideoReadError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mini():
    return load_classifier("mini-xception", "cpu")


@pytest.fixture(scope="module")
def wolfgang(mini):
    return analyze(
        sample_clip("WolfgangLanger_Pexels.mp4"), classifier=mini, every_n=2, progress=False
    )


def test_one_person_over_most_frames(wolfgang):
    table, prov = wolfgang
    validate_table(table)
    assert prov.summary["frames_analysed"] == 236  # 472 frames, every 2nd
    assert table["frame"].nunique() == 236
    faces = table.dropna(subset=["person"])
    main_share = faces["person"].value_counts().iloc[0] / 236
    assert main_share > 0.9, faces["person"].value_counts()
    np.testing.assert_allclose(faces[list(EMOTIONS)].sum(axis=1), 1, atol=1e-9)
    assert (faces["det_prob"] > 0.9).all()
    # Boxes lie in the 640x360 frame and are face-sized.
    assert faces["x1"].min() >= 0 and faces["x2"].max() <= 640 and faces["y2"].max() <= 360
    assert ((faces["x2"] - faces["x1"]) > 60).all()
    assert list(table["emotion"].dropna().unique()) != []


def test_provenance_states_the_settings(wolfgang):
    prov = wolfgang.provenance
    assert prov.video["name"] == "WolfgangLanger_Pexels.mp4"
    assert len(prov.video["sha256"]) == 64 and prov.video["fps"] == pytest.approx(23.976, 1e-3)
    assert prov.classifier["name"] == "mini-xception" and prov.classifier["revision"]
    assert prov.settings.sampling["every_n"] == 2
    assert prov.detector["name"] == "facenet_pytorch.MTCNN"
    assert prov.detector["min_face_px"] == DetectorSettings().min_face_px
    assert prov.packages["torch"] and prov.created_utc


def test_no_face_clip_gives_only_nan_rows(mini):
    table, prov = analyze(sample_clip("no_face.mp4"), classifier=mini, every_n=4, progress=False)
    assert len(table) == prov.summary["frames_analysed"] > 20
    assert table["face"].isna().all() and table["emotion"].isna().all()
    assert table[list(EMOTIONS)].isna().all().all()
    assert prov.summary["persons"] == 0


@pytest.mark.parametrize(
    "name, face_part", [("face_noface.mov", "first"), ("noface_face.mov", "second")]
)
def test_face_in_one_part_only(mini, name, face_part):
    table, _ = analyze(sample_clip(name), classifier=mini, every_n=3, progress=False)
    has_face = table.groupby("time_s")["face"].apply(lambda s: s.notna().any())
    duration = has_face.index.max()
    first = has_face[has_face.index < duration * 0.3]
    last = has_face[has_face.index > duration * 0.7]
    with_face, without = (first, last) if face_part == "first" else (last, first)
    assert with_face.mean() > 0.9 and without.mean() < 0.1


def test_batch_size_does_not_change_results(mini):
    clip = sample_clip("single_face.mp4")
    runs = []
    for bf, bc in ((1, 1), (8, 8)):
        clf = load_classifier("mini-xception", "cpu", batch_size=bc)
        runs.append(analyze(clip, classifier=clf, every_n=6, batch_frames=bf, progress=False))
    a, b = (r.table for r in runs)
    pd.testing.assert_series_equal(a["frame"], b["frame"])
    np.testing.assert_allclose(a[["x1", "y1", "x2", "y2"]], b[["x1", "y1", "x2", "y2"]], atol=1.0)
    np.testing.assert_allclose(a[list(EMOTIONS)], b[list(EMOTIONS)], atol=1e-5)


def test_detector_finds_the_face_and_crops_from_the_source_frame():
    frame = next(iter_frames(sample_clip("single_face.mp4"))).rgb
    dets = FaceDetector(DetectorSettings()).detect([frame, frame[:, ::-1].copy()])
    assert [len(d) for d in dets] == [1, 1]
    (x1, _, x2, _), w = dets[0].xyxy[0], frame.shape[1]
    np.testing.assert_allclose(dets[1].xyxy[0][[2, 0]], [w - x1, w - x2], atol=4)  # mirrored
    crop = crop_faces(frame, dets[0].xyxy, margin=0.1)[0]
    side = square_box(dets[0].xyxy, 0.1)[0]
    assert crop.shape == (side[3] - side[1], side[2] - side[0], 3)


def test_crops_at_the_frame_edge_are_padded():
    frame = np.zeros((50, 50, 3), np.uint8)
    frame[:, :10] = 200
    crops = crop_faces(frame, np.array([[-5.0, 0, 15, 20]]), margin=0.0)
    assert crops[0].shape == (20, 20, 3) and crops[0][:, 0].min() == 200
    assert frame[:, 10:].max() == 0  # untouched


def test_detector_downscaling_maps_boxes_back():
    frame = next(iter_frames(sample_clip("single_face.mp4"))).rgb
    full = FaceDetector(DetectorSettings()).detect([frame])[0]
    small = FaceDetector(DetectorSettings(max_side_px=320)).detect([frame])[0]
    np.testing.assert_allclose(small.xyxy, full.xyxy, atol=12)


def test_cache_reuses_the_saved_table(tmp_path, mini, monkeypatch):
    clip = sample_clip("single_face.mp4")
    first = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=12, progress=False)
    import emohelpers.analysis.pipeline as pipeline

    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: pytest.fail("re-analysed"))
    again = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=12, progress=False)
    pd.testing.assert_frame_equal(first.table, again.table)
    monkeypatch.undo()
    other = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=24, progress=False)
    assert other.provenance.settings.sampling["every_n"] == 24


def test_an_analysis_saved_on_an_older_clock_is_not_reused(tmp_path):
    """Times of analyses saved before `video.clock` was recorded may be on the stream's
    clock, not the player's: such a folder is analysed again, never reused."""
    import json

    clip = sample_clip("single_face.mp4")
    first = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=12, progress=False)
    assert first.provenance.video["clock"] == "player"
    prov = tmp_path / "provenance.json"
    data = json.loads(prov.read_text())
    del data["video"]["clock"]
    prov.write_text(json.dumps(data))
    again = load_or_analyze(clip, tmp_path, model="mini-xception", every_n=12, progress=False)
    assert again.provenance.video["clock"] == "player"
    # Analysed and saved again (a reuse would leave the edited file as it was).
    assert json.loads(prov.read_text())["video"]["clock"] == "player"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"every_n": 0}, ParameterError),
        ({"detector": {"min_face": 10}}, ParameterError),
        ({"detector": {"min_face_px": 5}}, ParameterError),
        ({"device": "tpu"}, ParameterError),
        ({"batch_frames": 0}, ParameterError),
    ],
)
def test_bad_parameters(mini, kwargs, error):
    with pytest.raises(error):
        analyze(sample_clip("single_face.mp4"), classifier=mini, progress=False, **kwargs)


def test_bad_video_is_named(tmp_path, mini):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(VideoReadError, match="broken.mp4"):
        analyze(bad, classifier=mini, progress=False)
