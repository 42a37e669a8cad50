"""Settings declared once: the `Setting` spec and the one validation dialect.

Each setting of an analysis, and each parameter of a notebook, is one `Setting`: its kind,
default, allowed values or range, unit, help text, flat name, command-line flag, group and
whether it enters the cache key. From these declarations come the checks of values (one
message format, one meaning of "a number": booleans are never numbers), the command-line
options (`cli.setting_options`), the notebooks' parameter checks and `parameters` cells, the
cache keys and the README's settings table (`markdown_table`). Torch-free and light, so that
the command line's help stays instant.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from emohelpers.core.errors import ParameterError

#: The kinds of value a setting can hold ("value": checked by the setting's `parse`).
KINDS = ("int", "float", "bool", "str", "choice", "path", "value")


class Refused(ValueError):
    """Why a "value" setting's parse refuses a value, for `Setting.error`'s one line."""


def is_int(value: Any) -> TypeGuard[int]:
    """An integer (Python or numpy), never a boolean."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[float]:
    """A finite real number (Python or numpy), never a boolean."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def literal(value: Any) -> str:
    """`value` as Python source, strings in double quotes (as the notebooks write them)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    return repr(value)


@dataclass(frozen=True)
class Setting:
    """One setting, declared once.

    Attributes:
        kind: one of `KINDS`.
        default: the value when none is given (as a notebook's `parameters` cell shows it).
        help: what it means, in a few words (CLI help, notebook comment, README).
        name: the flat name users write (`min_face_px`, `voice_window_s`).
        field: the attribute of the settings object that holds it (`window_s`).
        group: "sampling", "detector", "tracker", "voice", "report", ...
        unit: "s", "px" or "" (shown in the README's table; "s" makes "seconds").
        low, high: the range of an "int" or "float"; None: unbounded on that side.
        low_open, high_open: whether the bound itself is excluded.
        choices: the allowed values of a "choice".
        none: what None means, where None is allowed; None: it is not.
        allowed_text: what is allowed, where the generated text would not say it well.
        parse: for "value": returns the normalised value or raises ValueError/TypeError.
        cli: command-line flags; () derives `--flat-name`; None: no option.
        cache: whether it enters the cache key of the results it shapes.
    """

    kind: str
    default: Any
    help: str
    name: str = ""
    field: str = ""
    group: str = ""
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] = ()
    none: str | None = None
    allowed_text: str = ""
    parse: Callable[[Any], Any] | None = None
    cli: tuple[str, ...] | None = ()
    cache: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Setting kind={self.kind!r}: not one of {KINDS}")

    @property
    def allowed(self) -> str:
        """What values are allowed, in words (error messages, help, notebook comments)."""
        text = self.allowed_text or self._generated_allowed()
        return text if self.none is None or self.allowed_text else f"{text}, or None: {self.none}"

    def _generated_allowed(self) -> str:
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return " | ".join(literal(c) for c in self.choices)
        if self.kind == "str":
            return "a non-empty text"
        if self.kind == "path":
            return "a path"
        noun = "an integer" if self.kind == "int" else "a number"
        if self.unit == "s":
            noun = "seconds"
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"{noun} in {left}{lo}, {hi}{right}"
        if lo is not None:
            return f"{noun} {'>' if self.low_open else '>='} {lo}"
        if hi is not None:
            return f"{noun} {'<' if self.high_open else '<='} {hi}"
        return noun

    @property
    def flags(self) -> tuple[str, ...]:
        """The command-line flags ("" for none)."""
        if self.cli is None:
            return ()
        return self.cli or ("--" + self.name.replace("_", "-"),)

    def error(self, value: Any, prefix: str = "", why: str = "invalid") -> ParameterError:
        """The one-line error for a bad `value`: the name, the value, what is allowed."""
        return ParameterError(f"{prefix}{self.name}={value!r}: {why}; allowed: {self.allowed}")

    def check(self, value: Any, prefix: str = "") -> Any:
        """`value` checked and normalised (ints to int, numbers to float, paths to Path).

        Raises:
            ParameterError: naming the setting, the value and what is allowed.
        """
        if value is None and self.none is not None:
            return None
        if self.kind == "value" and self.parse is not None:
            try:
                return self.parse(value)
            except Refused as exc:  # the parse says why
                raise self.error(value, prefix, str(exc)) from None
            except (ValueError, TypeError):
                raise self.error(value, prefix) from None
        ok, out = self._check(value)
        if not ok:
            raise self.error(value, prefix)
        return out

    def _check(self, v: Any) -> tuple[bool, Any]:
        if self.kind == "bool":
            return isinstance(v, bool), v
        if self.kind == "choice":
            return (isinstance(v, str | int | float) and v in self.choices), v
        if self.kind == "str":
            text = str(v) if isinstance(v, str | Path) else ""
            return bool(text.strip()), text
        if self.kind == "path":
            ok = isinstance(v, str | Path) and bool(str(v))
            return ok, Path(v) if ok else v
        if self.kind == "value":
            assert self.parse is not None, self.name
            try:
                return True, self.parse(v)
            except (ValueError, TypeError):
                return False, v
        if not (is_int(v) if self.kind == "int" else is_number(v)):
            return False, v
        lo, hi = self.low, self.high
        if lo is not None and (v <= lo if self.low_open else v < lo):
            return False, v
        if hi is not None and (v >= hi if self.high_open else v > hi):
            return False, v
        return True, int(v) if self.kind == "int" else float(v)

    def comment(self) -> str:
        """The comment of this parameter in a notebook's `parameters` cell."""
        return f"{self.help}: {self.allowed}"

    def notebook_line(self) -> str:
        """This parameter's line in a notebook's `parameters` cell."""
        return f"{self.name} = {literal(self.default)}  # {self.comment()}"


def setting(kind: str, default: Any, help: str, **spec: Any) -> Any:
    """A dataclass field declared by its `Setting` (the name is the field's).

    Args:
        kind, default, help, **spec: the `Setting`'s attributes.
    """
    declared = Setting(kind, default, help, **spec)
    if isinstance(default, list | dict):
        raise ValueError("a setting's default must be immutable (a tuple, not a list)")
    return dataclasses.field(default=default, metadata={"setting": declared})


_SPECS: dict[tuple[type, str, str], tuple[Setting, ...]] = {}


def specs_of(cls: type, prefix: str = "", group: str = "") -> tuple[Setting, ...]:
    """The `Setting`s of a settings dataclass's fields, flat names prefixed by `prefix`,
    the group `group` where the field's declaration names none (computed once per class)."""
    key = (cls, prefix, group)
    if key not in _SPECS:
        out = []
        for f in dataclasses.fields(cls):
            declared = f.metadata.get("setting")
            if declared is not None:
                out.append(
                    dataclasses.replace(
                        declared, name=prefix + f.name, field=f.name, group=declared.group or group
                    )
                )
        _SPECS[key] = tuple(out)
    return _SPECS[key]


def check_fields(obj: Any, specs: Iterable[Setting]) -> None:
    """Check and normalise the declared fields of a frozen dataclass instance, in place."""
    for s in specs:
        object.__setattr__(obj, s.field, s.check(getattr(obj, s.field)))


def check_values(
    specs: Sequence[Setting], values: Mapping[str, Any], prefix: str = "parameter "
) -> dict[str, Any]:
    """The one parameter checker: every setting of `specs` by name, checked, defaults filled.

    Args:
        specs: the declared parameters.
        values: the given values by flat name.
        prefix: put before each error's `name=value`.

    Raises:
        ParameterError: for an unknown name (listing the allowed ones) or a bad value.
    """
    names = [s.name for s in specs]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ParameterError(
            f"unknown {prefix.strip() or 'setting'}(s) {unknown}; allowed: {names}"
        )
    return {s.name: s.check(values.get(s.name, s.default), prefix) for s in specs}


def by_name(specs: Iterable[Setting]) -> dict[str, Setting]:
    """`specs` keyed by flat name."""
    return {s.name: s for s in specs}


def _cell(text: str) -> str:
    """`text` safe in a Markdown table cell (pipes escaped, no HTML tags)."""
    return text.replace("|", "\\|").replace("<", "&lt;")


def markdown_table(specs: Iterable[Setting]) -> str:
    """The README's table of `specs`: name, command-line flag, default, allowed values,
    unit, whether it enters the cache key, meaning (one row per setting)."""
    rows = [
        "| setting | option | default | allowed | unit | cache key | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in specs:
        flags = ", ".join(f"`{f}`" for f in s.flags) or "-"
        rows.append(
            f"| `{s.name}` | {flags} | `{_cell(literal(s.default))}` | {_cell(s.allowed)} | "
            f"{s.unit or '-'} | {'yes' if s.cache else 'no'} | {_cell(s.help)} |"
        )
    return "\n".join(rows)


def between_markers(text: str, marker: str) -> str:
    """The text between `<!-- marker -->` and `<!-- /marker -->` (stripped)."""
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    if start not in text or end not in text:
        raise ValueError(f"markers {start} ... {end} not found")
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def replace_between_markers(text: str, marker: str, content: str) -> str:
    """`text` with what lies between the markers `marker` replaced by `content`."""
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{content}\n{end}{rest.split(end, 1)[1]}"


def model_request(value: Any) -> str:
    """The "value" parse of a model setting: a name, a Hub id or a local folder, as text.

    Raises:
        ValueError: for what is not a non-empty text.
        Refused: for a path to an existing file or device (a model is a folder: its
            config.json, weights and preprocessor config).
    """
    text = str(value).strip() if isinstance(value, str | Path) else ""
    if not text:
        raise ValueError(value)  # "invalid", as for any kind
    p = Path(text).expanduser()
    if p.exists() and not p.is_dir():
        raise Refused(
            f"{text} is a file, not a model folder (a folder holding config.json and the "
            "weights, as save_pretrained writes it)"
        )
    return text
