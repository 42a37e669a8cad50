"""Settings declared once (`core.spec`): one validation dialect, the cache key, the CLI."""

from __future__ import annotations

import argparse
import ast
import math
from pathlib import Path

import numpy as np
import pytest

from emohelpers.cli.main import build_parser
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.spec import Setting, check_values, is_int, is_number, literal
from emohelpers.core.voice_settings import VoiceSettings
from emohelpers.corpus.report import CORPUS_REPORT_SPEC
from emohelpers.lab.demo_corpus import CORPUS_SPEC
from emohelpers.report.evaluation import EVALUATION_SPEC
from emohelpers.report.parameters import REPORT_SPEC

PACKAGE = Path(__file__).resolve().parents[2] / "emohelpers"
ALL_SPECS = (
    *AnalysisSettings.spec(),
    *REPORT_SPEC,
    *CORPUS_REPORT_SPEC,
    *EVALUATION_SPEC,
    *CORPUS_SPEC,
)
NUMERIC = [s for s in ALL_SPECS if s.kind in ("int", "float")]


@pytest.mark.parametrize(
    ("value", "integer", "number"),
    [
        (3, True, True),
        (np.int64(3), True, True),
        (2.5, False, True),
        (np.float32(0.5), False, True),
        (True, False, False),
        (np.bool_(True), False, False),
        (math.nan, False, False),
        (math.inf, False, False),
        ("3", False, False),
        (None, False, False),
    ],
)
def test_one_meaning_of_a_number(value, integer, number):
    assert is_int(value) is integer and is_number(value) is number


def test_number_predicates_live_in_one_place():
    """No module defines its own `_is_int` / `_is_num(ber)`: they are `core.spec`'s."""
    own = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.lstrip("_") in (
                "is_int",
                "is_num",
                "is_number",
                "is_float",
            ):
                own.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert own == ["core/spec.py:is_int", "core/spec.py:is_number"]


@pytest.mark.parametrize("spec", NUMERIC, ids=lambda s: s.name)
def test_booleans_are_never_numbers(spec):
    with pytest.raises(ParameterError, match=rf"^{spec.name}=True: invalid; allowed: "):
        spec.check(True)


@pytest.mark.parametrize(
    ("flat", "error"),
    [
        ({"voice_window_s": True}, "voice_window_s=True"),
        ({"voice_hop_s": False}, "voice_hop_s=False"),
        ({"voice_min_speech_prob": True}, "voice_min_speech_prob=True"),
        ({"voice_batch_size": True}, "voice_batch_size=True"),
        ({"voice_batch_size": 8.0}, "voice_batch_size=8.0"),
        ({"min_face_px": True}, "min_face_px=True"),
        ({"max_gap_s": True}, "max_gap_s=True"),
        ({"start_s": True}, "start_s=True"),
        ({"thresholds": (0.5, True, 0.7)}, r"thresholds=\(0.5, True, 0.7\)"),
    ],
)
def test_every_part_refuses_booleans_where_a_number_is_expected(flat, error):
    with pytest.raises(ParameterError, match=error):
        AnalysisSettings.from_flat(**flat)


def test_voice_settings_refuse_a_boolean_window_directly():
    with pytest.raises(ParameterError, match="voice_window_s=True: invalid; allowed: seconds"):
        VoiceSettings(window_s=True)


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_errors_are_one_line_naming_the_setting_the_value_and_what_is_allowed(spec):
    bad = object()
    with pytest.raises(ParameterError) as info:
        spec.check(bad)
    assert str(info.value) == f"{spec.name}={bad!r}: invalid; allowed: {spec.allowed}"
    assert "\n" not in str(info.value) and spec.allowed


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_every_default_passes_its_own_check(spec):
    spec.check(spec.default)


@pytest.mark.parametrize(
    ("setting", "value", "expected", "error"),
    [
        (Setting("int", 1, "n", name="n", low=1), 3, 3, None),
        (Setting("int", 1, "n", name="n", low=1), np.int64(3), 3, None),
        (Setting("int", 1, "n", name="n", low=1), 0, None, "an integer >= 1"),
        (Setting("int", 1, "n", name="n", low=1), 2.0, None, "n=2.0"),
        (Setting("float", 1.0, "t", name="t", low=0, unit="s"), 2, 2.0, None),
        (Setting("float", 1.0, "t", name="t", low=0, unit="s"), -1, None, "seconds >= 0"),
        (
            Setting("float", 0.5, "p", name="p", low=0, high=1, high_open=True),
            1,
            None,
            r"a number in \[0, 1\)",
        ),
        (Setting("float", None, "f", name="f", low=0, low_open=True, none="off"), None, None, None),
        (
            Setting("float", 1.0, "f", name="f", low=0, low_open=True, none="off"),
            0,
            None,
            "a number > 0, or None: off",
        ),
        (Setting("choice", "a", "c", name="c", choices=("a", "b")), "b", "b", None),
        (Setting("choice", "a", "c", name="c", choices=("a", "b")), "z", None, r'"a" \| "b"'),
        (Setting("bool", True, "b", name="b"), 1, None, "True or False"),
        (Setting("str", "x", "s", name="s"), " ", None, "s=' '"),
        (Setting("path", None, "p", name="p", none="none"), "a/b", Path("a/b"), None),
    ],
)
def test_setting_checks(setting, value, expected, error):
    if error:
        with pytest.raises(ParameterError, match=error):
            setting.check(value)
        return
    out = setting.check(value)
    assert out == expected and type(out) is type(expected)


def test_the_one_checker_refuses_unknown_names_and_fills_defaults():
    specs = (Setting("int", 4, "n", name="n", low=1), Setting("bool", False, "b", name="b"))
    assert check_values(specs, {"n": 2}) == {"n": 2, "b": False}
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['x'\]; allowed: "):
        check_values(specs, {"x": 1})
    with pytest.raises(ParameterError, match="^parameter n=0: invalid; allowed: an integer"):
        check_values(specs, {"n": 0})


def test_literals_are_python_source():
    for value in (None, True, 3, 0.709, "auto", (0.6, 0.7, 0.7), ["a", "b"]):
        assert ast.literal_eval(literal(value)) == value
    assert literal("auto") == '"auto"'


# --- the cache key: exactly the settings marked as entering it ------------------------------


def _other_value(spec: Setting):
    if spec.kind == "bool":
        return not spec.default
    if spec.name == "thresholds":
        return (0.5, 0.6, 0.7)
    if spec.kind in ("str", "value") and spec.name.endswith("model"):
        return "some/model"
    if spec.name == "device":
        return "cpu"
    if spec.name in ("start_s", "end_s"):
        return 1.0 if spec.name == "start_s" else 9.0
    if spec.name == "fps":
        return 2.0
    if spec.name == "cast":  # names have their own key (`naming.wanted_cast`)
        return "/tmp/cast"
    if spec.kind == "int":
        return (spec.default or 1) + 1
    return round((spec.default or 0.25) * 0.9, 3)


@pytest.mark.parametrize("spec", AnalysisSettings.spec(), ids=lambda s: s.name)
def test_the_cache_keys_hold_the_settings_marked_as_entering_them(spec):
    base = AnalysisSettings()
    changed = AnalysisSettings.from_flat(**{spec.name: _other_value(spec)})
    assert changed != base
    faces = base.cache_key("abc", base.model) != changed.cache_key("abc", changed.model)
    voice = base.voice_cache_key("abc") != changed.voice_cache_key("abc")
    if spec.group == "voice":
        assert (faces, voice) == (False, spec.cache)
    else:
        assert faces == spec.cache
        assert voice == (spec.name in ("start_s", "end_s"))


# --- the command line: options made from the declarations ----------------------------------


def _options(parser: argparse.ArgumentParser, command: str) -> dict[str, argparse.Action]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {flag: a for a in sub.choices[command]._actions for flag in a.option_strings}


@pytest.mark.parametrize(
    ("command", "specs"),
    [
        ("analyze", AnalysisSettings.spec()),
        ("report", (*AnalysisSettings.spec(), *REPORT_SPEC)),
        ("corpus", AnalysisSettings.spec()),
    ],
)
def test_cli_options_are_made_from_the_declarations(command, specs):
    options = _options(build_parser(), command)
    for spec in specs:
        for flag in spec.flags:
            action = options[flag]
            assert action.dest == spec.name and spec.help.replace("%", "%%") in action.help
            if spec.kind == "bool":
                assert action.const is (not spec.default), flag
            elif spec.kind == "choice":
                assert tuple(action.choices) == spec.choices and action.default == spec.default
            elif spec.kind != "value":
                assert action.default == spec.default, flag
    declared = {f for s in specs for f in s.flags}
    settings_options = {f for f, a in options.items() if a.dest in {s.name for s in specs}}
    assert settings_options == declared


def test_voice_commands_take_the_voice_settings_declared():
    options = _options(build_parser(), "analyze-voice")
    specs = {s.name: s for s in AnalysisSettings.spec()}
    for name in (
        "voice_model",
        "voice_window_s",
        "voice_hop_s",
        "voice_min_speech_prob",
        "device",
        "start_s",
        "end_s",
    ):
        for flag in specs[name].flags:
            assert options[flag].dest == name
