"""Block-bootstrap intervals on synthetic tables whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emohelpers.core.errors import ParameterError
from emohelpers.summaries.intervals import (
    block_bootstrap_indices,
    block_length,
    dominant_shares,
    format_share,
    valence_interval,
)
from tests.helpers import make_table

FPS = 10.0


def runs(person, pattern, fps=FPS, start_frame=0):
    """Rows of one person: `pattern` is [(emotion, n_frames), ...] in time order."""
    rows, f = [], start_frame
    for emotion, n in pattern:
        for _ in range(n):
            rows.append((f, f / fps, person, emotion))
            f += 1
    return rows


def dominant_row(out, person=1.0):
    return out[(out["person"] == person) & out["dominant"]].iloc[0]


def test_share_is_exact_and_interval_contains_it():
    # 70% happy, 30% sad, in alternating runs of 2 s: the share is 0.7 exactly.
    table = make_table(runs(1, [("happy", 14), ("sad", 6)] * 10))
    out = dominant_shares(table, seed=1)
    row = dominant_row(out)
    assert row["emotion"] == "happy"
    assert row["share"] == pytest.approx(0.7)
    assert row["share_lo"] <= 0.7 <= row["share_hi"]
    assert not row["uncertain"]  # 0.7 against 0.3 over 200 frames: a clear lead
    shares = out[out["person"] == 1.0].set_index("emotion")["share"]
    assert shares.sum() == pytest.approx(1.0) and shares["fear"] == 0


def test_even_split_is_uncertain_and_a_planted_lead_is_not():
    even = make_table(runs(1, [("happy", 20), ("sad", 20)] * 3))
    clear = make_table(runs(2, [("happy", 54), ("sad", 6)] * 2))
    out = dominant_shares(pd.concat([even, clear], ignore_index=True), seed=3)
    assert dominant_row(out, 1.0)["uncertain"]
    assert not dominant_row(out, 2.0)["uncertain"]


def test_blocks_widen_the_interval_of_autocorrelated_series():
    # Long runs: frames are far from independent. One-frame blocks (an i.i.d. bootstrap)
    # understate the spread; 4 s blocks keep the runs together.
    table = make_table(runs(1, [("happy", 40), ("sad", 40)] * 4))
    narrow = dominant_row(dominant_shares(table, block_s=0.1, seed=5))
    wide = dominant_row(dominant_shares(table, block_s=4.0, seed=5))
    assert (wide["share_hi"] - wide["share_lo"]) > 1.5 * (narrow["share_hi"] - narrow["share_lo"])


def test_frames_without_a_face_do_not_count():
    rows = runs(1, [("happy", 30)]) + [(30 + i, (30 + i) / FPS, None, None) for i in range(30)]
    out = dominant_shares(make_table(rows), seed=0)
    row = dominant_row(out)
    assert row["n_face_frames"] == 30 and row["share"] == 1.0 and row["share_lo"] == 1.0


def test_valence_interval_verdicts():
    happy = make_table(runs(1, [("happy", 100)]))
    mixed = make_table(runs(2, [("happy", 25), ("sad", 25)] * 2))
    out = valence_interval(pd.concat([happy, mixed], ignore_index=True), seed=2).set_index("person")
    assert out.loc[1.0, "score"] == pytest.approx(1.0)
    assert out.loc[1.0, "verdict"] == "positive" and not out.loc[1.0, "uncertain"]
    assert out.loc[2.0, "score"] == pytest.approx(0.0)
    assert out.loc[2.0, "verdict"] == "neutral"
    assert out.loc[2.0, "uncertain"]  # 50 s of each in 2.5 s runs: could go either way
    assert out.loc[2.0, "score_lo"] < 0 < out.loc[2.0, "score_hi"]


def test_blocks_never_cross_series():
    idx = block_bootstrap_indices([5, 3], [4, 4], 200, np.random.default_rng(0))
    assert idx.shape == (200, 8)
    assert ((idx[:, :5] >= 0) & (idx[:, :5] < 5)).all()
    assert ((idx[:, 5:] >= 5) & (idx[:, 5:] < 8)).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=6), st.integers(1, 10))
def test_resamples_keep_each_series_length(lengths, block):
    idx = block_bootstrap_indices(lengths, [block] * len(lengths), 20, np.random.default_rng(1))
    assert idx.shape == (20, sum(lengths))
    edges = np.cumsum([0, *lengths])
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        assert ((idx[:, a:b] >= a) & (idx[:, a:b] < b)).all()


def test_corpus_groups_and_seeds():
    a = make_table(runs(1, [("happy", 30), ("neutral", 10)])).assign(clip="a", group="x")
    b = make_table(runs(1, [("sad", 30)])).assign(clip="b", group="y")
    corpus = pd.concat([a, b], ignore_index=True)
    out = dominant_shares(corpus, by=("group",), seed=4)
    assert set(out.loc[out["dominant"], "emotion"]) == {"happy", "sad"}
    again = dominant_shares(corpus, by=("group",), seed=4)
    pd.testing.assert_frame_equal(out, again)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"block_s": 0}, "block_s"),
        ({"block_s": True}, "block_s"),
        ({"n_boot": 10}, "n_boot"),
        ({"level": 1.0}, "level"),
    ],
)
def test_bad_arguments(kwargs, message):
    table = make_table(runs(1, [("happy", 5)]))
    with pytest.raises(ParameterError, match=message):
        dominant_shares(table, **kwargs)


def test_block_length_and_format():
    assert block_length(np.arange(0, 10, 0.1), 2.0) == 20
    assert block_length(np.array([0.0]), 2.0) == 1
    assert format_share(0.62, 0.48, 0.75) == "62% [48-75%]"
