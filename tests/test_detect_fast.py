"""The batched MTCNN stages: area resampling from integral images is facenet's, and the
detections match facenet-pytorch's own `MTCNN.detect` on the sample clips' frames."""

from itertools import islice

import numpy as np
import pytest
import torch
from torch.nn.functional import interpolate

from emohelpers.analysis.detect import DetectorSettings, FaceDetector
from emohelpers.analysis.mtcnn_stages import crop_area, integral_image, mtcnn_stages, resize_area
from emohelpers.analysis.video import iter_frames, probe_video
from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import ParameterError

CLIPS = [
    "WolfgangLanger_Pexels.mp4",
    "single_face.mp4",
    "no_face.mp4",
    "face_noface.mov",
    "noface_face.mov",
]


def _frames(shape, seed=0, dtype=torch.uint8):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
    return x if dtype == torch.uint8 else x.to(dtype) * 0.73


@pytest.mark.parametrize("size", [(109, 193), (77, 137), (13, 23), (40, 64), (120, 200)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_resize_area_is_interpolate_area_bit_for_bit(size, channels_last):
    frames = _frames((3, 120, 200, 3))
    x = frames.permute(0, 3, 1, 2).float()
    if not channels_last:
        x = x.contiguous()
    expected = interpolate(x, size=size, mode="area")
    got = resize_area(integral_image(frames), size)
    assert got.shape == expected.shape
    assert torch.equal(got, expected)


@pytest.mark.parametrize("out_px", [24, 48])
def test_crop_area_is_interpolate_area_of_each_crop(out_px):
    frames = _frames((2, 90, 160, 3), seed=1)
    g = torch.Generator().manual_seed(2)
    k = 40
    image = torch.randint(0, 2, (k,), generator=g)
    y0 = torch.randint(0, 89, (k,), generator=g)
    x0 = torch.randint(0, 159, (k,), generator=g)
    y1 = y0 + 1 + (torch.rand(k, generator=g) * (90 - y0)).long().clamp(max=89 - y0)
    x1 = x0 + 1 + (torch.rand(k, generator=g) * (160 - x0)).long().clamp(max=159 - x0)
    got = crop_area(integral_image(frames), image, y0, y1, x0, x1, out_px)
    x = frames.permute(0, 3, 1, 2).float()
    for i in range(k):
        region = x[image[i] : image[i] + 1, :, y0[i] : y1[i], x0[i] : x1[i]]
        expected = interpolate(region, size=(out_px, out_px), mode="area")[0]
        assert torch.equal(got[i], expected), (i, region.shape)


def test_float_frames_use_float64_sums():
    frames = _frames((2, 50, 70, 3), dtype=torch.float32)
    table = integral_image(frames)
    assert table.dtype == torch.float64
    expected = interpolate(frames.permute(0, 3, 1, 2), size=(17, 23), mode="area")
    torch.testing.assert_close(resize_area(table, (17, 23)), expected, atol=1e-4, rtol=0)


def test_table_buffer_is_reused_and_resized():
    a = integral_image(_frames((4, 20, 30, 3)))
    b = integral_image(_frames((3, 20, 30, 3), seed=5), out=a)
    assert b.data_ptr() == a.data_ptr() and b.shape == (3, 21, 31, 3)
    assert torch.equal(b, integral_image(_frames((3, 20, 30, 3), seed=5)))
    c = integral_image(_frames((2, 25, 30, 3)), out=a)
    assert c.shape == (2, 26, 31, 3)


def test_frames_smaller_than_the_smallest_face_give_nothing():
    det = FaceDetector(DetectorSettings(min_face_px=40))
    out = det.detect([np.zeros((30, 30, 3), np.uint8)] * 2 + [np.zeros((30, 30, 3), np.uint8)])
    assert [len(d) for d in out] == [0, 0, 0]


def test_unknown_stages_are_refused():
    with pytest.raises(ParameterError, match="stages"):
        FaceDetector(stages="fast")


def _sample_frames(name, n=6):
    """n frames spread over the clip."""
    clip = sample_clip(name)
    every_n = max(1, probe_video(clip).n_frames // n)
    return [f.rgb for f in islice(iter_frames(clip, every_n=every_n), n)]


def _by_area(boxes):
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, boxes.shape[-1])
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return boxes[np.argsort(-area, kind="stable")]


@pytest.mark.slow
@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("min_face_px", [20, 40])
def test_stages_match_facenet_mtcnn_detect(name, min_face_px):
    """All of facenet's final boxes (before our min_det_prob cut), within 1 px and 1e-3."""
    from facenet_pytorch import MTCNN

    frames = _sample_frames(name)
    batch = torch.from_numpy(np.stack(frames))
    mtcnn = MTCNN(keep_all=True, min_face_size=min_face_px, post_process=False)
    with torch.inference_mode():
        ref_boxes, ref_probs, ref_points = mtcnn.detect(batch, landmarks=True)
        det = FaceDetector(DetectorSettings(min_face_px=min_face_px))
        got, inds = mtcnn_stages(
            integral_image(batch), det._nets, min_face_px, mtcnn.thresholds, mtcnn.factor
        )
    n_faces = 0
    for i, (rb, rp, rq) in enumerate(zip(ref_boxes, ref_probs, ref_points, strict=True)):
        mine = _by_area(got[inds == i])
        ref = (
            np.zeros((0, 15))
            if rb is None
            else _by_area(np.column_stack([rb, rp, np.asarray(rq).reshape(-1, 10)]))
        )
        assert len(mine) == len(ref), (i, mine, ref)
        np.testing.assert_allclose(mine[:, :4], ref[:, :4], atol=1.0)
        np.testing.assert_allclose(mine[:, 4], ref[:, 4], atol=1e-3)
        np.testing.assert_allclose(mine[:, 5:15], ref[:, 5:15], atol=1.0)  # the landmarks
        n_faces += len(ref)
    assert (n_faces == 0) == (name == "no_face.mp4")


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings",
    [DetectorSettings(), DetectorSettings(max_side_px=320), DetectorSettings(min_face_px=80)],
)
def test_detector_batched_equals_facenet_path(settings):
    frames = _sample_frames("WolfgangLanger_Pexels.mp4") + _sample_frames("noface_face.mov")[-2:]
    batched = FaceDetector(settings, batch_size=4)
    facenet = FaceDetector(settings, batch_size=4, stages="facenet")
    for group in (frames[:-2], frames[-2:], frames[:3]):  # frame sizes change, buffer kept
        fast, ref = batched.detect(group), facenet.detect(group)
        assert [len(d) for d in fast] == [len(d) for d in ref]
        for a, b in zip(fast, ref, strict=True):
            np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1.0)
            np.testing.assert_allclose(a.det_prob, b.det_prob, atol=1e-3)
