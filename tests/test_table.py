"""The emotion-table contract: build, validate, save and load."""

import json

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.table import (
    COLUMNS,
    EMOTIONS,
    Analysis,
    build_table,
    empty_table,
    validate_table,
)
from emohelpers.core.errors import SchemaError
from tests.helpers import make_table


def test_build_table_columns_dtypes_and_argmax():
    df = make_table([(0, 0.0, 1, {"happy": 0.7, "sad": 0.3}), (1, 0.04, None, None)])
    assert tuple(df.columns) == COLUMNS
    assert df["frame"].dtype == np.int64
    assert df.loc[0, "emotion"] == "happy"
    assert pd.isna(df.loc[1, "emotion"]) and np.isnan(df.loc[1, "happy"])
    assert np.isnan(df.loc[1, "face"]) and np.isnan(df.loc[1, "person"])


def test_empty_table_is_valid():
    assert validate_table(empty_table()).empty


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.drop(columns="sad"), "missing columns"),
        (lambda d: d.assign(happy=d["happy"] * 0.5), "sum to"),
        (lambda d: d.assign(emotion=["sad", None]), "most probable"),
        (lambda d: d.assign(frame=d["frame"].astype("float64")), "dtype"),
        (lambda d: d.iloc[::-1].reset_index(drop=True), "sorted"),
        (lambda d: d.assign(person=[1.0, 2.0]), "without a face"),
        ("not a frame", "DataFrame"),
    ],
)
def test_validate_table_rejects(mutate, message):
    df = make_table([(0, 0.0, 1, {"happy": 0.7, "sad": 0.3}), (1, 0.04, None, None)])
    bad = mutate if isinstance(mutate, str) else mutate(df)
    with pytest.raises(SchemaError, match=message):
        validate_table(bad)


def test_save_load_roundtrip(tmp_path):
    df = make_table([(0, 0.0, 1, "happy"), (0, 0.0, 2, "sad"), (3, 0.12, None, None)])
    Analysis(df, {"video": {"name": "x.mp4"}}).save(tmp_path)
    loaded = Analysis.load(tmp_path)
    pd.testing.assert_frame_equal(loaded.table, df)
    assert loaded.provenance.video == {"name": "x.mp4"}
    assert loaded.provenance == Analysis(df, {"video": {"name": "x.mp4"}}).provenance
    table, prov = loaded  # unpacks
    saved = json.loads((tmp_path / "provenance.json").read_text())
    files = saved.pop("files")  # the tables this provenance commits (written last)
    assert saved == prov.to_dict() and list(files) == ["emotions.parquet"]
    assert files["emotions.parquet"]["size_bytes"] == (tmp_path / "emotions.parquet").stat().st_size


def test_load_missing_names_the_file(tmp_path):
    with pytest.raises(SchemaError, match="emotions.parquet"):
        Analysis.load(tmp_path)


def test_build_table_from_arrays_probabilities_sum_to_one():
    rng = np.random.default_rng(0)
    p = rng.random((5, len(EMOTIONS)))
    p /= p.sum(1, keepdims=True)
    df = build_table(
        np.arange(5),
        np.arange(5) / 10,
        np.zeros(5),
        np.ones(5),
        np.tile([0, 0, 10, 10], (5, 1)),
        np.ones(5),
        p,
    )
    np.testing.assert_allclose(df[list(EMOTIONS)].sum(axis=1), 1)
    assert list(df["emotion"]) == [EMOTIONS[i] for i in p.argmax(1)]
