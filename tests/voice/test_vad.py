"""Voice-activity detection: the batched port equals silero-vad's own TorchScript model, and
finds speech in speech, none in silence or noise."""

import warnings

import numpy as np
import pytest
import torch

from emohelpers.analysis.voice.audio import read_audio
from emohelpers.analysis.voice.vad import FRAME


def _reference(samples: np.ndarray) -> np.ndarray:
    """The original streaming model, one 512-sample frame per call."""
    from emohelpers.core.assets import vad_weights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jit = torch.jit.load(str(vad_weights())).eval()
    x = torch.from_numpy(np.pad(samples, (0, -len(samples) % FRAME)))
    with torch.inference_mode():
        return np.array([float(jit(x[i : i + FRAME], 16000)) for i in range(0, len(x), FRAME)])


def test_port_matches_the_original_model_on_speech(detector, speech_wav):
    x, _ = read_audio(speech_wav)
    x = x[: 16000 * 4]
    ours = detector(x)
    ref = _reference(x)
    assert ours.shape == ref.shape == (-(-len(x) // FRAME),)
    np.testing.assert_allclose(ours, ref, atol=1e-4)
    assert ref.max() > 0.9  # the comparison covers speech, not only silence


def test_any_chunking_gives_the_same_probabilities(detector, speech_wav):
    x, _ = read_audio(speech_wav)
    whole = detector(x)
    detector.reset()
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.integers(0, len(x), 9))
    parts = [detector.process(p) for p in np.split(x, cuts)] + [detector.flush()]
    detector.reset()
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-5)


def test_speech_is_found_and_silence_and_noise_are_not(detector, speech_wav, silence_and_noise):
    speech, _ = read_audio(speech_wav)
    p = detector(speech)
    assert (p > 0.5).mean() > 0.6
    for name, path in silence_and_noise.items():
        x, _ = read_audio(path)
        assert detector(x).max() < 0.5, name


def test_empty_input(detector):
    assert detector(np.zeros(0, np.float32)).shape == (0,)
    assert detector.process(np.zeros(100, np.float32)).shape == (0,)
    assert detector.flush().shape == (1,)


def test_broken_weights_are_refused(tmp_path):
    from emohelpers.analysis.voice.vad import SpeechDetector
    from emohelpers.core.errors import ModelLoadError

    bad = tmp_path / "silero_vad.jit"
    bad.write_bytes(b"not a torchscript archive")
    with pytest.raises(ModelLoadError, match="fetch-assets"):
        SpeechDetector(bad)
