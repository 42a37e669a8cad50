"""Attribution maps, the deletion test, explanation figures and the report section.

Real faces: crops of `single_face.mp4` cut at the boxes of a mini-xception analysis; both
classifiers: the real offline model and the tiny ViT saved locally.
"""

import numpy as np
import pytest
import torch

from emohelpers.analysis.table import CHANCE, EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.explain import moments as es
from emohelpers.explain.faithfulness import deletion_auc, deletion_curve, faithfulness_report
from emohelpers.explain.methods import (
    METHODS,
    attribute,
    explain,
    normalise_maps,
)
from emohelpers.figures.explanation import explanation_figure, overlay, shown_emotions

CLIP = "single_face.mp4"


# --- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ([[0.0, 2.0], [1.0, -3.0]], [[0.0, 1.0], [0.5, 0.0]]),  # negatives clipped to 0
        ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]),  # all zero: constant zeros
        ([[-1.0, -2.0], [-1.0, -1.0]], [[0.0, 0.0], [0.0, 0.0]]),  # no positive evidence
        ([[np.nan, 4.0], [np.inf, 1.0]], [[0.0, 1.0], [0.0, 0.25]]),  # NaN and inf dropped
    ],
)
def test_normalise_maps(raw, expected):
    out = normalise_maps(np.array(raw)[None])
    assert out.dtype == np.float32 and out.shape == (1, 2, 2)
    np.testing.assert_allclose(out[0], expected)


def test_normalise_maps_percentile_saturates_the_top():
    raw = np.arange(100, dtype=np.float32).reshape(1, 10, 10)
    out = normalise_maps(raw, percentile=90)
    assert out.max() == 1 and (out == 1).sum() == 10 and 0 <= out.min()


def test_overlay_is_pure_and_sized_like_the_crop():
    crop = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    before = crop.copy()
    out = overlay(crop, np.ones((8, 8), np.float32))
    assert out.shape == (30, 40, 3) and out.dtype == np.uint8 and out is not crop
    np.testing.assert_array_equal(crop, before)
    gray = overlay(crop, np.zeros((30, 40)))  # no attribution: the grayscale face
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()


def test_figure_has_one_panel_per_emotion_above_chance():
    probs = np.array([0.05, 0.02, 0.30, 0.40, 0.03, 0.15, 0.05])  # fear, happy, sad > 1/7
    maps = {e: np.full((20, 20), 0.5) for e in EMOTIONS}
    fig = explanation_figure(np.zeros((20, 20, 3), np.uint8), maps, probs, title="t")
    assert [t.type for t in fig.data] == ["image"] * 3
    assert [a.text for a in fig.layout.annotations] == ["happy 0.40", "fear 0.30", "sad 0.15"]
    assert shown_emotions(probs, first="angry") == ["angry", "happy", "fear", "sad"]
    flat = explanation_figure(np.zeros((20, 20, 3), np.uint8), maps, np.full(7, 1 / 7))
    assert len(flat.data) == 0  # nothing above chance: a note, no panel


# --- real faces ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini():
    from emohelpers.analysis.classifiers import load_classifier

    return load_classifier("mini-xception", "cpu")


@pytest.fixture(scope="module")
def analysis(mini):
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.core.assets import sample_clip

    return analyze(sample_clip(CLIP), classifier=mini, every_n=6, progress=False)


@pytest.fixture(scope="module")
def crops(analysis):
    from emohelpers.analysis.detect import crop_faces
    from emohelpers.analysis.video import iter_frames
    from emohelpers.core.assets import sample_clip

    rows = analysis.table.dropna(subset=["person"])
    frames = {f.index: f.rgb for f in iter_frames(sample_clip(CLIP), every_n=6)}
    boxes = rows[["x1", "y1", "x2", "y2"]].to_numpy()
    return [crop_faces(frames[f], b[None])[0] for f, b in zip(rows["frame"], boxes, strict=True)]


@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory):
    from emohelpers.analysis.classifiers import HFClassifier
    from tests.test_hf_classifier import save_tiny_vit

    return HFClassifier(save_tiny_vit(tmp_path_factory.mktemp("tiny-vit")), batch_size=8)


@pytest.fixture(params=["mini", "tiny_vit"])
def classifier(request):
    return request.getfixturevalue(request.param)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_maps_shapes_ranges_determinism(classifier, crops, method):
    few = crops[:2]
    options = {"occlusion": {"occlusion_window": 12}, "integrated-gradients": {"ig_steps": 8}}
    e = explain(
        classifier, few, ["happy", "sad", "angry"], method=method, **options.get(method, {})
    )
    assert e.emotions == ("happy", "sad", "angry") and e.probs.shape == (2, 7)
    assert e.input_maps.shape[:2] == (2, 3)
    for m, crop in zip(e.maps, few, strict=True):
        assert m.shape == (3, *crop.shape[:2]) and m.dtype == np.float32
        assert not np.isnan(m).any() and m.min() >= 0 and m.max() <= 1
    assert np.isclose(e.input_maps.reshape(6, -1).max(1), 1).any()  # something attributed
    again = explain(
        classifier, few, ["happy", "sad", "angry"], method=method, **options.get(method, {})
    )
    np.testing.assert_array_equal(e.input_maps, again.input_maps)
    assert set(e.maps_by_emotion(0)) == {"happy", "sad", "angry"}


@pytest.mark.slow
def test_batching_changes_nothing(mini, crops):
    x = mini.preprocess(crops[:2])
    targets = np.array([[3, 4, 5, 0], [5, 0, 3, 4]])
    one = attribute(mini, x, targets, "gradcam", batch_size=1)
    many = attribute(mini, x, targets, "gradcam", batch_size=64)
    np.testing.assert_allclose(one, many, atol=1e-5)
    single = attribute(mini, x[1:], targets[1:, 2:3], "gradcam")
    np.testing.assert_allclose(single[0, 0], many[1, 2], atol=1e-5)


@pytest.mark.slow
def test_vit_gradcam_is_grad_cam_on_the_token_grid(tiny_vit, crops):
    """The captum path (grid tap) equals Grad-CAM written out on the reshaped tokens."""
    x, t, acts = tiny_vit.preprocess(crops[:3]), 3, {}
    hook = tiny_vit.cam_layer.register_forward_hook(lambda m, i, o: acts.update(a=o))
    logits = tiny_vit.model(x)
    grads = torch.autograd.grad(logits[:, t].sum(), acts["a"])[0]
    hook.remove()
    a, g = tiny_vit.cam_reshape(acts["a"]).detach(), tiny_vit.cam_reshape(grads)
    cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    ref = normalise_maps(torch.nn.functional.interpolate(cam, size=x.shape[-2:], mode="bilinear"))
    ours = attribute(tiny_vit, x, np.full((3, 1), t), "gradcam")
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert all(p.requires_grad for p in tiny_vit.model.parameters())  # restored


@pytest.mark.slow
def test_attribute_rejects_bad_requests(mini, crops):
    x = mini.preprocess(crops[:1])
    with pytest.raises(ParameterError, match="method"):
        attribute(mini, x, [[0]], "lime")
    with pytest.raises(ParameterError, match="targets"):
        attribute(mini, x, [[7]], "gradcam")
    with pytest.raises(ParameterError, match="emotions"):
        explain(mini, crops[:1], ["joy"])


@pytest.mark.slow
def test_deletion_curve(mini, crops):
    maps = explain(mini, crops[:3], ["happy"]).input_maps[:, 0]
    fractions, probs = deletion_curve(mini, crops[:3], maps, EMOTIONS.index("happy"), steps=4)
    np.testing.assert_allclose(fractions, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(probs[:, 0], mini.predict(crops[:3])[:, 3], atol=1e-5)
    np.testing.assert_allclose(probs[:, -1], probs[0, -1], atol=1e-6)  # all gray: one input
    auc = deletion_auc(mini, crops[:3], maps, 3, steps=4)
    assert auc.shape == (3,) and ((0 <= auc) & (auc <= 1)).all()
    _, rand = deletion_curve(mini, crops[:3], None, 3, steps=4, seed=1)
    _, rand_again = deletion_curve(mini, crops[:3], None, 3, steps=4, seed=1)
    np.testing.assert_array_equal(rand, rand_again)


@pytest.mark.slow
def test_gradcam_is_more_faithful_than_random(mini, crops):
    """The deletion test on real faces with the real offline model."""
    report = faithfulness_report(mini, crops, methods=["gradcam"], steps=10)
    row = report.set_index("method").loc["gradcam"]
    assert row["faces"] == len(crops) >= 8
    assert row["deletion_auc"] < row["random_auc"] - 0.05, report
    assert row["wins"] >= 0.75, report


# --- the report section ----------------------------------------------------------------------


@pytest.mark.slow
def test_strongest_moments_are_explained_then_cached(mini, analysis, tmp_path, monkeypatch):
    from emohelpers.core.assets import sample_clip

    video = sample_clip(CLIP)
    moments = es.explain_strongest_moments(video, analysis, mini, cache_dir=tmp_path)
    peaks = es.moments_to_explain(analysis.table)
    assert len(moments) == len(peaks) > 0 and (peaks["probability"] > CHANCE).all()
    for m, peak in zip(moments, peaks.itertuples(), strict=True):
        assert (m.person, m.emotion) == (peak.person, peak.emotion)
        assert m.figure.layout.title.text == f"P{int(m.person)} — {m.emotion} at {m.time_s:.1f} s"
        titles = [a.text.split()[0] for a in m.figure.layout.annotations]
        assert titles[0] == m.emotion and len(titles) == len(m.figure.data)
    assert len(list(tmp_path.rglob("*.npz"))) == peaks[["frame", "x1"]].drop_duplicates().shape[0]

    def fail(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(es, "attribute", fail)
    monkeypatch.setattr(es, "read_frames", fail)
    cached = es.explain_strongest_moments(video, analysis, mini, cache_dir=tmp_path)
    assert [m.figure.to_json() for m in cached] == [m.figure.to_json() for m in moments]


@pytest.mark.slow
def test_report_section(mini, analysis, tmp_path):
    from emohelpers.core.assets import sample_clip
    from emohelpers.report.explain_section import show_explain
    from emohelpers.report.parameters import check_parameters

    params = check_parameters(
        video=str(sample_clip(CLIP)),
        out_dir=str(tmp_path),
        model="mini-xception",
        device="cpu",
        max_persons=1,
    )
    shown = show_explain(analysis, params)
    assert shown and {m.person for m in shown} == {analysis.table["person"].mode()[0]}
    assert (tmp_path / es.CACHE_FOLDER).is_dir()


@pytest.mark.slow
def test_cli_writes_an_offline_page(analysis, tmp_path):
    from emohelpers.cli.main import main

    saved = analysis.save(tmp_path / "analysis")
    assert main(["-q", "explain", str(saved), "--out", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "explain.html").read_text()
    assert page.count("plotly.js v") == 1 and '<script src="http' not in page  # inline
    assert page.count('class="plotly-graph-div"') == len(es.moments_to_explain(analysis.table))


@pytest.mark.slow
def test_cli_explain_of_a_video_loads_the_classifier_once(tmp_path, monkeypatch):
    """Analysing the clip and explaining it in one process share one classifier."""
    from emohelpers.analysis import analyzer
    from emohelpers.analysis.classifiers.mini_xception import MiniXception
    from emohelpers.cli.main import main
    from emohelpers.core.assets import sample_clip

    monkeypatch.setattr(analyzer, "_CLASSIFIERS", {})  # this test's process starts with none
    made = []
    real_init = MiniXception.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(MiniXception, "__init__", counting_init)
    clip = sample_clip()
    cmd = ["-q", "explain", str(clip), "--out", str(tmp_path / "out"), "--model", "mini-xception"]
    assert (
        main([*cmd, "--end-s", "1", "--max-per-person", "1", "--device", "cpu", "--no-voice"]) == 0
    )
    assert len(made) == 1
