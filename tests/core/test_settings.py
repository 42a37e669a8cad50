"""The one settings object: defaults, flat names, rules, cache key; and the provenance."""

from __future__ import annotations

import json
import math

import pytest

from emohelpers.analysis.provenance import Provenance
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import AnalysisSettings, DetectorSettings, TrackerSettings


def test_defaults():
    s = AnalysisSettings()
    assert (s.model, s.every_n, s.fps, s.start_s, s.end_s, s.device) == (
        "auto",
        1,
        None,
        None,
        None,
        "auto",
    )
    assert s.detector == DetectorSettings() and s.tracker == TrackerSettings()


@pytest.mark.parametrize(
    ("flat", "expected", "error"),
    [
        ({"every_n": 10}, {"every_n": 10, "fps": None}, None),
        ({"fps": 2}, {"every_n": None, "fps": 2.0}, None),
        ({"every_n": None, "fps": 0.5}, {"every_n": None, "fps": 0.5}, None),
        ({"every_n": None, "fps": None}, {"every_n": 1, "fps": None}, None),
        ({"every_n": 1, "fps": 0.5}, None, r"^every_n=1 and fps=0.5: give one, not both"),
        ({"every_n": 2, "fps": 5}, None, "give one, not both"),
        ({"every_n": 0}, None, "every_n=0"),
        ({"every_n": 2.5}, None, "every_n=2.5"),
        ({"every_n": True}, None, "every_n=True"),
        ({"fps": -1}, None, "fps=-1"),
        ({"fps": math.inf}, None, "fps=inf"),
        ({"start_s": 5, "end_s": 2}, None, "end_s=2.0: invalid; allowed: a time after start_s"),
        ({"start_s": -1}, None, "start_s=-1"),
        ({"device": "CUDA:1"}, {"device": "cuda:1"}, None),
        ({"device": "tpu"}, None, "device='tpu'"),
        ({"model": ""}, None, "model=''"),
        ({"min_face_px": 80}, {"detector.min_face_px": 80}, None),
        ({"min_face_px": 8}, None, "min_face_px=8"),
        ({"max_side_px": 0}, {"detector.max_side_px": None}, None),
        ({"thresholds": [0.5, 0.6, 0.7]}, {"detector.thresholds": (0.5, 0.6, 0.7)}, None),
        ({"min_det_prob": 1.5}, None, "min_det_prob=1.5"),
        ({"max_gap_s": 3}, {"tracker.max_gap_s": 3}, None),
        ({"iou_min": 0}, None, "iou_min=0"),
        ({"colour": "red"}, None, r"unknown setting\(s\) \['colour'\]"),
        ({"detector": {"min_face_px": 60}}, {"detector.min_face_px": 60}, None),
        ({"detector": {"size": 60}}, None, r"detector settings \['size'\]"),
    ],
)
def test_flat_settings(flat, expected, error):
    if error:
        with pytest.raises(ParameterError, match=error):
            AnalysisSettings.from_flat(**flat)
        return
    s = AnalysisSettings.from_flat(**flat)
    for key, value in expected.items():
        obj = s
        for part in key.split("."):
            obj = getattr(obj, part)
        assert obj == value, key


def test_every_n_and_fps_given_together_are_an_error_in_the_api():
    """Both explicit: refused, also when one of them is 1 (the every-frame value), by the
    constructor, `from_flat` and `analyze` (before any work)."""
    from emohelpers import analyze
    from emohelpers.core.assets import sample_clip

    for build in (
        lambda: AnalysisSettings(every_n=1, fps=5),
        lambda: AnalysisSettings.from_flat(every_n=1, fps=5),
        lambda: AnalysisSettings.from_flat(AnalysisSettings(), every_n=1, fps=5),
        lambda: analyze(sample_clip(), every_n=1, fps=5, progress=False),
    ):
        with pytest.raises(ParameterError, match="every_n=1 and fps=5"):
            build()
    # One of them on top of a base replaces the base's other one.
    assert AnalysisSettings.from_flat(AnalysisSettings(every_n=4), fps=5).every_n is None
    assert AnalysisSettings.from_flat(AnalysisSettings(fps=5), every_n=1).fps is None


def test_from_flat_builds_on_a_base_and_none_keeps_part_defaults():
    base = AnalysisSettings.from_flat(every_n=10, min_face_px=80)
    s = AnalysisSettings.from_flat(base, fps=2, min_face_px=None)
    assert s.fps == 2 and s.every_n is None and s.detector.min_face_px == 80


def test_dict_and_flat_round_trips_are_json_normal():
    s = AnalysisSettings.from_flat(
        model="mini-xception",
        fps=3,
        end_s=9,
        min_face_px=60,
        thresholds=(0.5, 0.6, 0.7),
        max_gap_s=2.5,
    )
    assert AnalysisSettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert AnalysisSettings.from_flat(**json.loads(json.dumps(s.to_flat()))) == s
    assert set(s.to_flat()) == set(AnalysisSettings.flat_names())


def test_cache_key_ignores_the_device_and_names_the_resolved_model():
    a = AnalysisSettings.from_flat(device="cpu", every_n=4)
    b = AnalysisSettings.from_flat(device="auto", every_n=4)
    assert a.cache_key("abc", "mini-xception") == b.cache_key("abc", "mini-xception")
    assert a.cache_key("abc", "mini-xception")["model"] == "mini-xception"
    assert a.cache_key("abc", "x") != AnalysisSettings().cache_key("abc", "x")
    key = a.cache_key("abc", "mini-xception")
    assert AnalysisSettings.from_cache_key(key, device="cpu") == AnalysisSettings.from_flat(
        model="mini-xception", device="cpu", every_n=4
    )


def test_provenance_round_trip_keeps_the_json_layout():
    s = AnalysisSettings.from_flat(model="mini-xception", fps=2.0, min_face_px=60)
    p = Provenance(
        settings=s,
        video={"name": "a.mp4", "sha256": "abc"},
        classifier={"name": "mini-xception", "revision": "r1"},
        device="cpu",
        created_utc="2026-11-23T10:00:00+00:00",
        summary={"persons": 1},
        extra={"voice": {"windows": 3}},
    )
    d = json.loads(json.dumps(p.to_dict()))
    assert list(d)[:11] == [
        "emohelpers_table_version",
        "video",
        "settings",
        "sampling",
        "detector",
        "tracker",
        "classifier",
        "device",
        "packages",
        "created_utc",
        "summary",
    ]
    assert d["settings"] == s.cache_key("abc", "mini-xception") and d["voice"] == {"windows": 3}
    back = Provenance.from_dict(d)
    assert back.to_dict() == d
    assert back.settings == AnalysisSettings.from_flat(s, device="cpu")
    assert back.model_name == "mini-xception" and back.cache_key() == d["settings"]


def test_partial_and_foreign_provenance():
    assert Provenance.from_dict({}).settings == AnalysisSettings()
    assert Provenance.from_dict({"clip": "x"}).extra == {"clip": "x"}
    from emohelpers.core.errors import SchemaError

    with pytest.raises(SchemaError, match="settings cannot be read"):
        Provenance.from_dict({"settings": {"sampling": {"every_n": 0}}})
    with pytest.raises(SchemaError):
        Provenance.from_dict(["not", "a", "dict"])
