"""Decoding sound tracks: 16 kHz mono, streamed, trimmed, and clear errors."""

import numpy as np
import pytest

from emohelpers.analysis.voice.audio import SAMPLE_RATE, iter_audio, probe_audio, read_audio
from emohelpers.core.errors import AudioReadError, ParameterError, VideoReadError


def test_speech_wav_is_resampled_to_16k_mono(speech_wav):
    info = probe_audio(speech_wav)
    assert info.has_audio and info.source_rate == 22050 and info.channels == 1
    x, _ = read_audio(speech_wav)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) / SAMPLE_RATE - info.duration_s) < 0.02
    assert 0.05 < np.abs(x).max() <= 1.0


def test_clip_sound_track_on_the_video_time_axis(speech_clip):
    info = probe_audio(speech_clip)
    assert info.has_audio and info.channels == 2 and info.source_rate == 44100
    assert abs(info.offset_s) < 0.1
    x, _ = read_audio(speech_clip)
    assert abs(len(x) / SAMPLE_RATE - info.duration_s) < 0.05
    # 1 s of silence before the speech starts (AAC adds a little noise at most).
    assert np.abs(x[: SAMPLE_RATE * 9 // 10]).max() < 0.01
    assert np.abs(x[SAMPLE_RATE : 3 * SAMPLE_RATE]).max() > 0.05


@pytest.mark.parametrize("chunk_s", [0.1, 1.0, 3.3, 100.0])
def test_chunks_are_contiguous_and_independent_of_their_size(speech_clip, chunk_s):
    whole, _ = read_audio(speech_clip)
    chunks = list(iter_audio(speech_clip, chunk_s))
    n = int(round(chunk_s * SAMPLE_RATE))
    assert all(len(c.samples) == n for c in chunks[:-1])
    starts = np.array([c.start_s for c in chunks])
    np.testing.assert_allclose(np.diff(starts), n / SAMPLE_RATE, atol=1e-9)
    np.testing.assert_array_equal(np.concatenate([c.samples for c in chunks]), whole)


def test_start_and_end_trim_on_the_same_axis(speech_clip):
    whole, info = read_audio(speech_clip)
    part, _ = read_audio(speech_clip, start_s=1.5, end_s=4.0)
    chunks = list(iter_audio(speech_clip, 1.0, start_s=1.5, end_s=4.0))
    assert chunks[0].start_s == pytest.approx(1.5 + 0.0, abs=1e-4)
    assert len(part) == pytest.approx(2.5 * SAMPLE_RATE, abs=2)
    k = int(round((1.5 - info.offset_s) * SAMPLE_RATE))
    np.testing.assert_array_equal(part, whole[k : k + len(part)])


def test_video_without_sound(silent_video):
    info = probe_audio(silent_video)
    assert not info.has_audio and info.source_rate == 0
    assert list(iter_audio(silent_video)) == []
    with pytest.raises(AudioReadError, match="no audio stream"):
        read_audio(silent_video)


def test_bad_inputs_give_one_line_errors_naming_the_file(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all\n" * 100)
    for path, words in [
        (tmp_path / "missing.wav", "no such file"),
        (empty, "empty"),
        (tmp_path, "directory"),
        (junk, "cannot be read"),
    ]:
        with pytest.raises(AudioReadError, match=words) as err:
            probe_audio(path)
        assert str(path) in str(err.value) and "\n" not in str(err.value)
        assert isinstance(err.value, VideoReadError)  # the CLI's one-line handling applies


@pytest.mark.parametrize(
    "kwargs", [{"chunk_s": 0}, {"start_s": -1.0}, {"start_s": 3.0, "end_s": 2.0}]
)
def test_invalid_ranges_are_refused(speech_wav, kwargs):
    with pytest.raises(ParameterError):
        list(iter_audio(speech_wav, **kwargs))
