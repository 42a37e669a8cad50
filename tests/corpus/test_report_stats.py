"""The corpus report's comparisons on a corpus folder written with the dataset's own
writers: persons compared across clips by a corpus-wide key, the histogram's edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emohelpers.core.errors import ParameterError
from emohelpers.corpus import clip_table, dataset, report_stats
from emohelpers.corpus import figures as cf
from tests.helpers import make_table


def write_corpus(out, n_clips=12):
    """Clips of two named persons: Ann happy in every clip, Bob sad; debates d1 and d2."""
    rows = []
    for i in range(n_clips):
        table = make_table(
            [(f, f / 4, p, "happy" if p == 1 else "sad") for f in range(4) for p in (1, 2)]
        )
        table["name"] = table["person"].map({1.0: "Ann", 2.0: "Bob"})
        meta = {"debate_id": f"d{1 + i % 2}"}
        dataset.write_partition(out, f"c{i}", table, meta)
        rows.append({"clip": f"c{i}", "status": "ok", **meta})
    return dataset.clips_frame(rows, ["debate_id"])


def test_named_persons_are_compared_across_clips_and_groups(tmp_path):
    clips = write_corpus(tmp_path)
    assert report_stats.person_key(tmp_path, None) == "name"
    found = report_stats.show_persons(tmp_path, clips, None, ["debate_id"])
    assert found == {"key": "name", "units": 24, "persons": 2}
    units = report_stats.corpus_units(tmp_path, "name")
    rows = clip_table.clip_rows(clips, tmp_path, units, "name")
    assert list(rows.columns[:2]) == ["clip", "name"] and set(rows["name"]) == {"Ann, Bob"}
    with pytest.raises(ParameterError, match="corpus_person"):
        report_stats.person_key(tmp_path, "corpus_person")


def test_the_persons_comparison_finds_the_planted_difference(tmp_path):
    from emohelpers.summaries.compare import compare
    from emohelpers.summaries.units import person_units

    write_corpus(tmp_path)
    units = person_units(dataset.read_emotions(tmp_path), "name")
    c = compare(units, "name", n_boot=200, n_perm=200)
    assert c.emotion_test["permuted"] == "units" and c.emotion_test["p_value"] < 0.01
    assert c.emotion_test["cramers_v"] == pytest.approx(1.0)
    assert report_stats.test_sentences(c)[0].startswith("Dominant emotions: chi-square")


@pytest.mark.parametrize(
    ("coverage", "expected_bin"),
    [(0.0, 0), (0.0999, 0), (0.1, 1), (0.5, 5), (7 / 10, 7), (0.29, 2), (0.9, 9), (1.0, 9)],
)
def test_coverage_bins_hold_their_edges(coverage, expected_bin):
    counts = cf.coverage_counts(pd.Series([coverage, np.nan]))
    assert counts.sum() == 1 and counts[expected_bin] == 1
