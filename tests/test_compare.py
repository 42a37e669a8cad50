"""Group comparisons (`summaries.compare`) and unit tables (`summaries.units`) on synthetic
corpora whose answer is known: a planted difference is found, none is found where there is
none, and the intervals, tests and notes follow their rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.summaries.compare import compare, compare_each, cramers_v, summary_rows
from emohelpers.summaries.units import person_units
from tests.helpers import make_table

FAST = {"n_boot": 400, "n_perm": 400}


def units(groups: dict[str, list[tuple[str, float]]]) -> pd.DataFrame:
    """A unit table: {group: [(dominant, valence_score), ...]}, one clip per unit."""
    rows = [
        {"clip": f"{g}{i}", "speaker": g, "dominant": d, "valence_score": v}
        for g, items in groups.items()
        for i, (d, v) in enumerate(items)
    ]
    return pd.DataFrame(rows)


def random_units(rng, groups, n, p_happy=(0.5, 0.5), shift=0.0):
    out = {}
    for j, g in enumerate(groups):
        p = p_happy[j % len(p_happy)]
        dom = np.where(rng.random(n) < p, "happy", "sad")
        val = rng.normal(0.1 + (shift if j else 0.0), 0.3, n)
        out[g] = list(zip(dom, val, strict=True))
    return units(out)


def test_a_planted_difference_is_found_with_its_effect_size():
    rng = np.random.default_rng(1)
    df = random_units(rng, ["A", "B"], 30, p_happy=(0.9, 0.1), shift=-0.5)
    c = compare(df, "speaker", **FAST)
    e, v = c.emotion_test, c.valence_test
    assert e["p_value"] < 0.01 and e["p_asymptotic"] < 0.01 and e["cramers_v"] > 0.6
    assert 0 < e["cramers_v_lo"] <= e["cramers_v"] <= e["cramers_v_hi"] <= 1
    assert v["p_value"] < 0.01 and v["difference"] < -0.3 and v["difference_hi"] < 0
    assert v["cohens_d"] < -1
    assert e["permuted"] == "clips" and e["n_units"] == 60 and c.notes == ()
    happy = c.shares.set_index(["group", "emotion"]).loc[("A", "happy")]
    assert happy["n_units"] == 30 and happy["share"] == happy["count"] / 30
    assert happy["share_lo"] <= happy["share"] <= happy["share_hi"]


def test_identical_groups_show_no_difference():
    same = [("happy", 0.4), ("sad", -0.3), ("happy", 0.2), ("neutral", 0.0), ("sad", -0.1)] * 2
    c = compare(units({"A": same, "B": same}), "speaker", **FAST)
    assert c.emotion_test["statistic"] == pytest.approx(0.0)
    assert c.emotion_test["p_value"] == 1.0 and c.emotion_test["cramers_v"] == pytest.approx(0)
    assert c.valence_test["difference"] == pytest.approx(0.0)
    assert c.valence_test["p_value"] == 1.0
    assert c.valence_test["difference_lo"] < 0 < c.valence_test["difference_hi"]


def test_without_a_difference_the_test_rejects_about_five_percent():
    rng = np.random.default_rng(7)
    p_emotion, p_valence = [], []
    for _ in range(120):
        c = compare(random_units(rng, ["A", "B", "C"], 8), "speaker", n_boot=100, n_perm=200)
        p_emotion.append(c.emotion_test["p_value"])
        p_valence.append(c.valence_test["p_value"])
    for p in (np.array(p_emotion), np.array(p_valence)):
        assert 0.0 <= np.mean(p < 0.05) <= 0.12
        assert 0.35 <= np.median(p) <= 0.65  # p-values near uniform under no difference


def test_more_than_two_groups_use_f_and_eta_squared():
    rng = np.random.default_rng(3)
    df = random_units(rng, ["A", "B", "C"], 15, shift=0.6)
    v = compare(df, "speaker", **FAST).valence_test
    assert v["test"].startswith("one-way F") and v["groups"] == 3
    assert v["p_value"] < 0.01 and 0.2 < v["eta_squared"] <= 1


def test_small_groups_are_flagged_and_left_out_of_the_tests():
    rng = np.random.default_rng(4)
    df = random_units(rng, ["A", "B"], 10)
    df = pd.concat([df, units({"C": [("happy", 0.5), ("sad", -0.2)]})])
    c = compare(df, "speaker", **FAST)
    assert c.valence.set_index("group")["small"].to_dict() == {"A": False, "B": False, "C": True}
    assert c.emotion_test["groups"] == 2 and c.emotion_test["n_units"] == 20
    assert any("speaker C: 2 unit(s), too few" in n for n in c.notes)
    tiny = compare(units({"A": [("happy", 0.5)] * 3, "B": [("sad", 0.1)] * 9}), "speaker")
    assert tiny.emotion_test is None and tiny.valence_test is None
    assert any(n.startswith("No test: 1 group(s)") for n in tiny.notes)


def test_units_without_face_or_group_are_left_out_with_a_note():
    df = units({"A": [("happy", 0.5)] * 6, "B": [("sad", -0.5)] * 6})
    df.loc[0, ["dominant", "valence_score"]] = [None, np.nan]
    df.loc[1, "speaker"] = None
    c = compare(df, "speaker", **FAST)
    assert c.valence.set_index("group")["n_units"].to_dict() == {"A": 4, "B": 6}
    assert "1 unit(s) without a speaker left out." in c.notes
    assert "1 unit(s) without a face left out." in c.notes


def test_clips_are_the_units_of_the_bootstrap():
    # Group A: one clip with 10 happy persons and one with 10 sad: 2 independent clips, not
    # 20 units. Its share interval must span what resampling 2 clips gives: 0 to 1.
    rows = [{"clip": "a1", "speaker": "A", "dominant": "happy", "valence_score": 0.5}] * 10
    rows += [{"clip": "a2", "speaker": "A", "dominant": "sad", "valence_score": -0.5}] * 10
    c = compare(pd.DataFrame(rows), "speaker", **FAST)
    happy = c.shares.set_index("emotion").loc["happy"]
    assert (happy["share"], happy["share_lo"], happy["share_hi"]) == (0.5, 0.0, 1.0)
    assert c.valence.iloc[0]["n_clips"] == 2 and c.valence.iloc[0]["n_units"] == 20


def test_units_in_one_clip_across_groups_are_permuted_as_units():
    rows = [
        {"clip": f"c{i}", "name": who, "dominant": d, "valence_score": v}
        for i in range(8)
        for who, d, v in (("Ann", "happy", 0.4), ("Bob", "angry", -0.4))
    ]
    c = compare(pd.DataFrame(rows), "name", **FAST)
    assert c.emotion_test["permuted"] == "units" and c.emotion_test["p_value"] < 0.01


def test_parameters_and_columns_are_checked():
    df = units({"A": [("happy", 0.5)] * 5})
    with pytest.raises(ParameterError, match="n_boot"):
        compare(df, "speaker", n_boot=10)
    with pytest.raises(ParameterError, match="level"):
        compare(df, "speaker", level=1.0)
    with pytest.raises(SchemaError, match="debate"):
        compare(df, "debate")


def test_cramers_v_known_values():
    assert cramers_v(np.array([[10, 0], [0, 10]])) == pytest.approx(1.0)
    assert cramers_v(np.array([[5, 5], [5, 5]])) == pytest.approx(0.0)
    assert cramers_v(np.array([[5, 0, 0], [5, 0, 0]])) != cramers_v(np.array([[5, 0], [5, 0]]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(list(EMOTIONS)),
            st.floats(-1, 1, allow_nan=False),
        ),
        min_size=4,
        max_size=40,
    ),
    st.permutations(list(range(40))),
)
def test_invariants(rows, order):
    df = pd.DataFrame(rows, columns=["speaker", "dominant", "valence_score"])
    df["clip"] = [f"c{i}" for i in range(len(df))]
    c = compare(df, "speaker", n_boot=100, n_perm=100, min_units=2)
    # Shares of each group sum to one, intervals hold their point estimates.
    assert np.allclose(c.shares.groupby("group")["share"].sum(), 1.0)
    assert (c.shares["share_lo"] <= c.shares["share"] + 1e-12).all()
    assert (c.shares["share"] <= c.shares["share_hi"] + 1e-12).all()
    assert (c.valence["mean_lo"] <= c.valence["mean"] + 1e-12).all()
    # The rows' order and the groups' names change nothing.
    shuffled = df.iloc[[i for i in order if i < len(df)]]
    again = compare(shuffled, "speaker", n_boot=100, n_perm=100, min_units=2)
    pd.testing.assert_frame_equal(c.shares, again.shares)
    renamed = df.assign(speaker=df["speaker"].map({"A": "x", "B": "y", "C": "z"}))
    other = compare(renamed, "speaker", n_boot=100, n_perm=100, min_units=2)
    if c.emotion_test is not None:
        assert 0 < c.emotion_test["p_value"] <= 1
        assert c.emotion_test["p_value"] == other.emotion_test["p_value"]
        assert c.emotion_test["cramers_v"] == pytest.approx(other.emotion_test["cramers_v"])
        assert 0 <= c.emotion_test["cramers_v"] <= 1 + 1e-9


def test_compare_each_and_summary_rows():
    rng = np.random.default_rng(5)
    df = random_units(rng, ["d1", "d2"], 12, p_happy=(0.9, 0.1))
    df = pd.concat([df.assign(name="Ann"), df.assign(name="Bob", clip=df["clip"] + "b")])
    each = compare_each(df, "speaker", "name", **FAST)
    assert list(each) == ["Ann", "Bob"] and all(
        c.emotion_test["p_value"] < 0.05 for c in each.values()
    )
    rows = summary_rows(list(each.values()))
    assert list(rows["units"]) == [24, 24] and (rows["emotion_p"] < 0.05).all()


def test_person_units_follow_the_clip_summary_rules():
    # Clip x: person 1 happy 3 frames, sad 1; person 2 sad only. Clip y: person 1 angry.
    x = make_table(
        sorted(
            [(f, f / 4, 1, "happy" if f < 3 else "sad") for f in range(4)]
            + [(f, f / 4, 2, "sad") for f in range(4)],
            key=lambda r: r[0],
        )
    )
    y = make_table([(0, 0.0, 1, "angry"), (1, 0.25, None, None)])
    table = pd.concat([x.assign(clip="x", speaker="Ann"), y.assign(clip="y", speaker="Bob")])
    out = person_units(table, keep=["speaker"])
    assert list(out.columns) == [
        "clip",
        "person",
        "n_face_frames",
        "dominant",
        "valence_score",
        "speaker",
    ]
    assert out[["clip", "person", "n_face_frames", "dominant"]].values.tolist() == [
        ["x", 1.0, 4, "happy"],
        ["x", 2.0, 4, "sad"],
        ["y", 1.0, 1, "angry"],
    ]
    assert out["valence_score"].tolist() == pytest.approx([0.5, -1.0, -1.0])
    assert out["speaker"].tolist() == ["Ann", "Ann", "Bob"]
    named = person_units(table.assign(name=np.where(table["person"] == 1, "Ann", None)), "name")
    assert named[["clip", "name"]].values.tolist() == [["x", "Ann"], ["y", "Ann"]]
    with pytest.raises(SchemaError, match="corpus_person"):
        person_units(table, "corpus_person")
