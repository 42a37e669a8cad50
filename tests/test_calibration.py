"""ECE and reliability points on cases with a known answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emohelpers.core.errors import ParameterError
from emohelpers.summaries.calibration import expected_calibration_error, reliability


def _probs(top: list[float], classes: int = 7) -> np.ndarray:
    """Rows whose class 0 has probability `top` and the rest share what is left."""
    t = np.asarray(top)[:, None]
    return np.hstack([t, np.repeat((1 - t) / (classes - 1), classes - 1, axis=1)])


def test_perfectly_calibrated_bins_give_zero():
    # 10 faces at 0.8 of which 8 right; 10 at 0.6 (bin (0.6-0.667]) of which 6 right.
    p = _probs([0.8] * 10 + [0.6] * 10 + [1e-9] * 0)
    y = np.array([0] * 8 + [1] * 2 + [0] * 6 + [1] * 4)
    assert expected_calibration_error(p, y, bins=10) == pytest.approx(0.0, abs=1e-12)


def test_overconfidence_is_measured():
    # 10 faces at 0.9 confidence, half right: |0.5 - 0.9| = 0.4.
    p = _probs([0.9] * 10)
    y = np.array([0] * 5 + [1] * 5)
    assert expected_calibration_error(p, y) == pytest.approx(0.4)
    (point,) = reliability(p, y)
    assert point["n"] == 10 and point["accuracy"] == 0.5
    assert point["confidence"] == pytest.approx(0.9)
    assert point["lo"] < 0.9 <= point["hi"]


def test_bins_are_weighted_by_their_counts():
    # 30 faces at 0.95 all right (gap 0.05), 10 at 0.45 none right (gap 0.45).
    p = _probs([0.95] * 30 + [0.45] * 10)
    y = np.array([0] * 30 + [1] * 10)
    assert expected_calibration_error(p, y) == pytest.approx((30 * 0.05 + 10 * 0.45) / 40)


@given(st.lists(st.floats(1 / 7, 1.0), min_size=1, max_size=60), st.integers(1, 30))
def test_ece_lies_in_zero_one(tops, bins):
    p = _probs(tops)
    y = np.zeros(len(tops), dtype=int)
    e = expected_calibration_error(p, y, bins=bins)
    assert 0.0 <= e <= 1.0
    assert sum(r["n"] for r in reliability(p, y, bins=bins)) == len(tops)


def test_shapes_are_checked():
    with pytest.raises(ParameterError, match="expected"):
        expected_calibration_error(np.ones((3, 7)) / 7, np.zeros(4, dtype=int))
