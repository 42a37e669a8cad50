"""Windows: the rule on a known length, and the same windows however the stream is cut."""

import numpy as np
import pytest

from emohelpers.analysis.voice.vad import FRAME
from emohelpers.analysis.voice.windows import Windower, speech_prob, window_bounds


@pytest.mark.parametrize(
    "n, window, hop, expected",
    [
        (0, 10, 5, []),
        (7, 10, 5, [(0, 7)]),
        (10, 10, 5, [(0, 10)]),
        (20, 10, 5, [(0, 10), (5, 15), (10, 20)]),
        (22, 10, 5, [(0, 10), (5, 15), (10, 20), (12, 22)]),
        (25, 10, 10, [(0, 10), (10, 20), (15, 25)]),
    ],
)
def test_window_bounds(n, window, hop, expected):
    assert window_bounds(n, window, hop).tolist() == [list(e) for e in expected]


def test_speech_prob_is_the_mean_of_overlapping_frames():
    vad = np.array([0.0, 1.0, 0.5, 0.0])
    assert speech_prob(vad, 0, FRAME) == 0.0
    assert speech_prob(vad, FRAME, 3 * FRAME) == 0.75
    assert speech_prob(vad, FRAME - 1, FRAME + 1) == 0.5
    assert speech_prob(vad, 4 * FRAME, 5 * FRAME) == 0.0  # past the end: no speech


@pytest.mark.parametrize("n", [5000, 32000, 32001, 80000, 123457])
@pytest.mark.parametrize("chunk", [700, 16000, 200000])
def test_streamed_windows_equal_the_rule(n, chunk):
    rng = np.random.default_rng(n)
    x = rng.normal(size=n).astype(np.float32)
    vad = rng.random(-(-n // FRAME)).astype(np.float32)
    w = Windower(2.0, 0.75)
    got, fed_frames = [], 0
    for s in range(0, n, chunk):
        part = x[s : s + chunk]
        done = (s + len(part)) // FRAME
        got += list(w.feed(part, vad[fed_frames:done]))
        fed_frames = done
    got += list(w.finish(vad[fed_frames:]))
    expected = window_bounds(n, 32000, 12000)
    assert [(g.start, g.end) for g in got] == [tuple(b) for b in expected]
    for g in got:
        np.testing.assert_array_equal(g.samples, x[g.start : g.end])
        assert g.speech_prob == pytest.approx(speech_prob(vad, g.start, g.end))
