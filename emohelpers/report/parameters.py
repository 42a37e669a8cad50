"""The report notebook's parameters: the analysis settings plus how the report looks.

Papermill only warns about unknown parameters; `check_parameters` refuses them. The rules of
the analysis settings (model, sampling, time range, device, detector, tracker) live in
`core.settings.AnalysisSettings`; the rules here are the report's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import ParameterError
from emohelpers.core.settings import AnalysisSettings

#: The report's sections, in page order (the values of the `sections` parameter).
SECTIONS: tuple[str, ...] = (
    "clip", "timelines", "radar", "bars", "gallery", "video", "summaries", "explain", "voice",
    "reels",
)  # fmt: skip
RADAR_STYLES = ("per-person", "main")
VALENCE_MAPPINGS = ("default", "debate")


@dataclass(frozen=True)
class ReportParameters:
    """The report notebook's parameters, checked (see the notebook's `parameters` cell).

    Attributes:
        video: the video file; None in the notebook means the sample clip.
        out_dir: folder of the table, annotated video and key figures.
        settings: the analysis settings (model, every_n/fps, time range, device, detector
            and tracker settings, given as notebook parameters by their flat names).
        sections: the sections to include, in `SECTIONS` order.
        radar: the annotated video's radar, "per-person" or "main".
        max_persons: persons whose strongest moments are shown (most seen first).
        gallery_size: key frames in the gallery, 0-48.
        bars_frame: frame of the detail view; None = the strongest non-neutral expression.
        window_s: summary window length, seconds.
        valence_mapping: "default" | "debate".
        valence_margin: |score| a valence verdict needs, in [0, 1].
        smooth_s: smoothing window before turning points are sought, seconds.
    """

    video: Path
    out_dir: Path
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    sections: tuple[str, ...] = SECTIONS
    radar: str = "per-person"
    max_persons: int = 4
    gallery_size: int = 8
    bars_frame: int | None = None
    window_s: float = 2.0
    valence_mapping: str = "default"
    valence_margin: float = 0.1
    smooth_s: float = 1.0

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def device(self) -> str:
        return self.settings.device


#: The report's own parameter names (the analysis settings' names are accepted too).
REPORT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ReportParameters)
                                      if f.name != "settings")  # fmt: skip


def parameter_names() -> tuple[str, ...]:
    """Every parameter the report notebook accepts."""
    return (*REPORT_NAMES, *AnalysisSettings.flat_names())


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return _is_int(v) or (isinstance(v, float) and math.isfinite(v))


def _is_path(v: Any) -> bool:
    return isinstance(v, str | Path) and bool(str(v))


# Parameter -> (test of a value, what is allowed); `sections` is checked on its own.
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "video": (lambda v: v is None or _is_path(v), "a video file path, or None: the sample clip"),
    "out_dir": (lambda v: v is None or _is_path(v), "a folder, or None: outputs/<video stem>"),
    "radar": (lambda v: v in RADAR_STYLES, f"one of {list(RADAR_STYLES)}"),
    "max_persons": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "gallery_size": (lambda v: _is_int(v) and 0 <= v <= 48, "an integer in 0..48"),
    "bars_frame": (lambda v: v is None or (_is_int(v) and v >= 0), "a frame index, or None"),
    "window_s": (lambda v: _is_num(v) and v > 0, "a number of seconds > 0"),
    "valence_mapping": (lambda v: v in VALENCE_MAPPINGS, f"one of {list(VALENCE_MAPPINGS)}"),
    "valence_margin": (lambda v: _is_num(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "smooth_s": (lambda v: _is_num(v) and v > 0, "a number of seconds > 0"),
}  # fmt: skip


def check_sections(value: Any) -> tuple[str, ...]:
    """`sections` as a tuple in page order: "all" (or None), a list, or "a,b" text.

    Raises:
        ParameterError: for a name that is not a section.
    """
    sections = SECTIONS if value in ("all", None) else value
    if isinstance(sections, str):
        sections = [s.strip() for s in sections.split(",") if s.strip()]
    if not (isinstance(sections, list | tuple) and all(s in SECTIONS for s in sections)):
        raise ParameterError(f"parameter sections={value!r}: invalid; allowed: \"all\" "
                             f"or a list from {list(SECTIONS)}")  # fmt: skip
    return tuple(s for s in SECTIONS if s in sections)


def check_parameters(**params: Any) -> ReportParameters:
    """Check the report's parameters; unknown names and bad values are refused.

    Args:
        **params: the notebook's parameters by name: the report's own (see
            `ReportParameters`) and analysis settings by their flat names
            (`model`, `every_n`, `fps`, `device`, `min_face_px`, `max_gap_s`, ...).

    Returns:
        The checked parameters; `video` None becomes the sample clip, `out_dir` None
        `outputs/<video stem>`, `sections` "all" (or None) every section.

    Raises:
        ParameterError: naming the parameter, its value and what is allowed.
    """
    unknown = sorted(set(params) - set(parameter_names()))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; allowed: {list(parameter_names())}")
    analysis = {k: v for k, v in params.items() if k in AnalysisSettings.flat_names()}
    try:
        settings = AnalysisSettings.from_flat(**analysis)
    except ParameterError as exc:
        raise ParameterError(f"parameter {exc}") from exc
    defaults = {f.name: f.default for f in fields(ReportParameters) if f.name in _RULES}
    p = {**defaults, "video": None, "out_dir": None,
         **{k: v for k, v in params.items() if k in REPORT_NAMES}}  # fmt: skip
    for name, (ok, allowed) in _RULES.items():
        if not ok(p[name]):
            raise ParameterError(f"parameter {name}={p[name]!r}: invalid; allowed: {allowed}")
    sections = check_sections(p.pop("sections", "all"))
    if p["video"] is None:
        p["video"] = sample_clip()
    video = Path(p.pop("video"))
    out_dir = p.pop("out_dir")
    out_dir = Path(out_dir) if out_dir is not None else Path("outputs") / video.stem
    for name in ("window_s", "valence_margin", "smooth_s"):
        p[name] = float(p[name])
    return ReportParameters(video=video, out_dir=out_dir, settings=settings, sections=sections,
                            **p)  # fmt: skip


def notebook_parameters(namespace: Mapping[str, Any], before: Iterable[str]) -> dict[str, Any]:
    """The names a notebook defined since `before` (its parameters, injected ones included).

    Papermill only warns about unknown parameters; passing everything the parameter cells
    defined to `check_parameters` makes the package refuse them.
    """
    seen = set(before)
    return {k: v for k, v in namespace.items() if k not in seen and not k.startswith("_")}
