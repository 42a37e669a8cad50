"""The CUDA path: the face detector and both expression classifiers on a GPU give what they
give on the CPU, and a whole analysis records the device. Skipped, with the reason, where
no CUDA device is present (run them through the `device` tool where one is lent)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.slow,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

CLIP = "WolfgangLanger_Pexels.mp4"
FRAMES = [0, 120, 240, 360]


@pytest.fixture(scope="module")
def frames(sample_dir):
    from emohelpers.analysis.frames import read_frames

    got = read_frames(sample_dir / CLIP, FRAMES)
    return [got[i] for i in FRAMES]


@pytest.fixture(scope="module")
def crops(frames):
    from emohelpers.analysis.detect import FaceDetector, crop_faces

    found = FaceDetector(device=torch.device("cpu")).detect(frames)
    out = [c for rgb, d in zip(frames, found, strict=True) for c in crop_faces(rgb, d.xyxy)]
    assert out, "no face in the sample frames"
    return out


def test_detector_on_cuda_matches_cpu(frames):
    from emohelpers.analysis.detect import FaceDetector

    cpu = FaceDetector(device=torch.device("cpu")).detect(frames)
    gpu = FaceDetector(device=torch.device("cuda")).detect(frames)
    assert [len(d) for d in gpu] == [len(d) for d in cpu] and sum(map(len, cpu)) > 0
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_allclose(b.xyxy, a.xyxy, atol=2.0)  # pixels
        np.testing.assert_allclose(b.det_prob, a.det_prob, atol=1e-3)


def test_mini_xception_on_cuda_matches_cpu(crops):
    from emohelpers.analysis.classifiers.mini_xception import MiniXception

    cpu = MiniXception(device=torch.device("cpu")).predict(crops)
    gpu = MiniXception(device=torch.device("cuda")).predict(crops)
    assert gpu.dtype == np.float32 and gpu.shape == cpu.shape
    np.testing.assert_allclose(gpu, cpu, atol=1e-3)


def test_transformers_classifier_on_cuda_matches_cpu(crops, tmp_path):
    from test_hf_classifier import save_tiny_vit

    from emohelpers.analysis.classifiers import HFClassifier

    folder = save_tiny_vit(tmp_path / "tiny-vit")
    cpu = HFClassifier(folder, device=torch.device("cpu")).predict(crops)
    gpu = HFClassifier(folder, device=torch.device("cuda")).predict(crops)
    np.testing.assert_allclose(gpu, cpu, atol=1e-3)


def test_analysis_on_cuda_records_the_device(sample_dir):
    from emohelpers.analysis.pipeline import analyze

    result = analyze(
        sample_dir / "single_face.mp4",
        model="mini-xception",
        every_n=8,
        device="cuda",
        progress=False,
    )
    assert result.provenance.device.startswith("cuda")
    assert result.table["person"].notna().any()
