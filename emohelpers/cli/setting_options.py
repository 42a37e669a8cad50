"""Command-line options made from the settings' declarations (`core.spec.Setting`).

Each option's flag, type, choices, default and help come from its `Setting`; its
destination is the flat name, so `AnalysisSettings.from_flat` takes the parsed options as
they are (`analyze_cmd.settings_from_args`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import EXCLUSIVE
from emohelpers.core.spec import Setting

#: Titles of the option groups in --help, by the settings' group.
GROUP_TITLES = {
    "detector": "face detector",
    "tracker": "persons (shots, tracking, re-identification)",
    "voice": "voice",
}


def option_help(s: Setting) -> str:
    """The --help line of a setting: its meaning, what is allowed, its default."""
    if s.kind == "bool":  # the flag turns the default over
        text = f"{'turn off' if s.default else 'turn on'}: {s.help}"
    else:
        text = f"{s.help}; {s.allowed} (default: {s.default})"
    return text.replace("%", "%%")


def _metavar(s: Setting) -> str | None:
    if s.kind == "int":
        return "N"
    if s.kind == "float":
        return "S" if s.unit == "s" else "X"
    return None


def _parser_of(s: Setting) -> Callable[[str], Any]:
    """The argparse `type` of a "value" setting: the text checked by the setting (numbers
    are only converted here: their rules, and those between settings, are the settings')."""

    def parse(text: str) -> Any:
        try:
            return s.check(text)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def add_option(p: argparse._ActionsContainer, s: Setting) -> None:
    """Add the option of one setting (nothing for a setting without a flag)."""
    if not s.flags:
        return
    if s.kind == "bool":
        action = "store_false" if s.default else "store_true"
        p.add_argument(*s.flags, dest=s.name, action=action, help=option_help(s))
        return
    kwargs = {"dest": s.name, "default": s.default, "help": option_help(s)}
    if s.kind == "choice":
        kwargs["choices"] = s.choices
    else:
        kwargs["type"] = {"value": _parser_of(s), "int": int, "float": float}.get(s.kind, str)
        kwargs["metavar"] = _metavar(s)
    p.add_argument(*s.flags, **kwargs)


def add_setting_options(
    p: argparse.ArgumentParser, specs: Iterable[Setting], grouped: bool = True
) -> None:
    """Add the options of `specs`: settings named together in `EXCLUSIVE` are mutually
    exclusive; settings of a group in `GROUP_TITLES` go into its --help section."""
    specs = list(specs)
    names = {s.name for s in specs}
    groups: dict[str, argparse._ActionsContainer] = {}
    exclusive: dict[str, argparse._ActionsContainer] = {}
    for pair in EXCLUSIVE:
        if set(pair) <= names:
            g = p.add_mutually_exclusive_group()
            exclusive |= {name: g for name in pair}
    for s in specs:
        if s.name in exclusive:
            target = exclusive[s.name]
        elif grouped and s.group in GROUP_TITLES and s.flags:
            if s.group not in groups:
                groups[s.group] = p.add_argument_group(GROUP_TITLES[s.group])
            target = groups[s.group]
        else:
            target = p
        add_option(target, s)
