"""The report notebook's parameters: the analysis settings plus how the report looks.

Papermill only warns about unknown parameters; `check_parameters` refuses them. The
analysis settings (model, sampling, time range, device, detector, tracker, voice) are
declared and checked by `core.settings.AnalysisSettings`; the report's own parameters are
declared here (`REPORT_SPEC`) and checked by the same checker (`core.spec.check_values`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emohelpers.core.assets import sample_clip
from emohelpers.core.errors import ParameterError
from emohelpers.core.notebooks import project_path
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.spec import Setting, by_name, check_values
from emohelpers.figures.styles import RADAR_STYLES

#: The report's sections, in page order (the values of the `sections` parameter).
SECTIONS: tuple[str, ...] = (
    "findings",
    "clip",
    "video",
    "timelines",
    "summaries",
    "radar",
    "bars",
    "gallery",
    "explain",
    "voice",
    "reels",
)
VALENCE_MAPPINGS = ("default", "debate")
#: Frames of the report's annotated video: every source frame, or only the analysed ones.
ANNOTATED_FRAMES = ("source", "analysed")
_SECTIONS_ALLOWED = f'"all" or a list from {list(SECTIONS)}'


def check_sections(value: Any) -> tuple[str, ...]:
    """`sections` as a tuple in page order: "all" (or None), a list, or "a,b" text.

    Raises:
        ParameterError: for a name that is not a section.
    """
    sections = SECTIONS if value in ("all", None) else value
    if isinstance(sections, str):
        sections = [s.strip() for s in sections.split(",") if s.strip()]
    if not (
        isinstance(sections, list | tuple) and sections and all(s in SECTIONS for s in sections)
    ):
        raise ParameterError(f"parameter sections={value!r}: invalid; allowed: {_SECTIONS_ALLOWED}")
    return tuple(s for s in SECTIONS if s in sections)


#: The report's own parameters, declared once (the notebook's `parameters` cell shows them).
REPORT_SPEC: tuple[Setting, ...] = (
    Setting(
        "path",
        None,
        "path of the video file",
        name="video",
        cli=None,
        none="the sample clip WolfgangLanger_Pexels.mp4",
    ),
    Setting(
        "path",
        None,
        "folder of the analysis (reused when made from the same video and settings), the "
        "annotated video and the key figures",
        name="out_dir",
        cli=None,
        none="outputs/<video stem>",
    ),
    Setting(
        "value",
        "all",
        "the sections to include",
        name="sections",
        allowed_text=_SECTIONS_ALLOWED,
        parse=check_sections,
    ),
    Setting(
        "choice",
        RADAR_STYLES[0],
        'radar of the annotated video ("main": the most seen person)',
        name="radar",
        choices=RADAR_STYLES,
    ),
    Setting(
        "choice",
        ANNOTATED_FRAMES[0],
        'frames of the annotated video ("source": every source frame at its rate, the boxes of '
        'the nearest analysed frame, the radar held; "analysed": only the analysed frames)',
        name="annotated_frames",
        choices=ANNOTATED_FRAMES,
    ),
    Setting(
        "int",
        4,
        "persons whose strongest moments are shown, most seen first",
        name="max_persons",
        low=1,
        cli=None,
    ),
    Setting("int", 8, "key frames in the gallery", name="gallery_size", low=0, high=48, cli=None),
    Setting(
        "int",
        None,
        "frame index of the detail view",
        name="bars_frame",
        low=0,
        none="the strongest non-neutral expression",
        cli=None,
    ),
    Setting(
        "float",
        2.0,
        "length of the summary windows",
        name="window_s",
        low=0,
        low_open=True,
        unit="s",
        cli=None,
    ),
    Setting(
        "choice",
        VALENCE_MAPPINGS[0],
        "emotions -> valence preset of the verdicts",
        name="valence_mapping",
        choices=VALENCE_MAPPINGS,
    ),
    Setting(
        "float",
        0.1,
        "|score| a positive/negative verdict needs",
        name="valence_margin",
        low=0,
        high=1,
        cli=None,
    ),
    Setting(
        "float",
        1.0,
        "smoothing before turning points are sought",
        name="smooth_s",
        low=0,
        low_open=True,
        unit="s",
        cli=None,
    ),
    Setting(
        "float",
        0.5,
        "strongest moments are shown for the emotions whose peak reaches this probability "
        "(chance is 1/7); the others get one line",
        name="moment_min_prob",
        low=0,
        high=1,
        cli=None,
    ),
    Setting(
        "float",
        0.5,
        'a turning point this close to a cut is marked "at a cut" (it records the edit) and '
        "left out of the findings",
        name="cut_margin_s",
        low=0,
        unit="s",
        cli=None,
    ),
)
_REPORT = by_name(REPORT_SPEC)


@dataclass(frozen=True)
class ReportParameters:
    """The report notebook's parameters, checked (each one's meaning: `REPORT_SPEC`).

    Attributes:
        video: the video file (the sample clip when the notebook's `video` is None).
        out_dir: folder of the table, annotated video and key figures.
        settings: the analysis settings (given as notebook parameters by their flat names).
        sections: the sections to include, in `SECTIONS` order.
    """

    video: Path
    out_dir: Path
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    sections: tuple[str, ...] = SECTIONS
    radar: str = _REPORT["radar"].default
    annotated_frames: str = _REPORT["annotated_frames"].default
    max_persons: int = _REPORT["max_persons"].default
    gallery_size: int = _REPORT["gallery_size"].default
    bars_frame: int | None = _REPORT["bars_frame"].default
    window_s: float = _REPORT["window_s"].default
    valence_mapping: str = _REPORT["valence_mapping"].default
    valence_margin: float = _REPORT["valence_margin"].default
    smooth_s: float = _REPORT["smooth_s"].default
    moment_min_prob: float = _REPORT["moment_min_prob"].default
    cut_margin_s: float = _REPORT["cut_margin_s"].default

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def device(self) -> str:
        return self.settings.device


#: The report's own parameter names (the analysis settings' names are accepted too).
REPORT_NAMES: tuple[str, ...] = tuple(_REPORT)


def parameter_specs() -> tuple[Setting, ...]:
    """Every parameter the report notebook accepts, declared: the report's, the analysis'."""
    return (*REPORT_SPEC, *AnalysisSettings.spec())


def parameter_names() -> tuple[str, ...]:
    """Every parameter the report notebook accepts."""
    return tuple(s.name for s in parameter_specs())


def check_parameters(**params: Any) -> ReportParameters:
    """Check the report's parameters; unknown names and bad values are refused.

    Args:
        **params: the notebook's parameters by name: the report's own (`REPORT_SPEC`) and
            analysis settings by their flat names (`model`, `every_n`, `fps`, `device`,
            `min_face_px`, `max_gap_s`, ...).

    Returns:
        The checked parameters; `video` None becomes the sample clip, `out_dir` None
        `outputs/<video stem>` (a relative `out_dir` is taken from the project's folder,
        `core.notebooks.project_path`), `sections` "all" (or None) every section.

    Raises:
        ParameterError: naming the parameter, its value and what is allowed.
    """
    unknown = sorted(set(params) - set(parameter_names()))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; allowed: {list(parameter_names())}")
    analysis = {k: v for k, v in params.items() if k not in _REPORT}
    try:
        settings = AnalysisSettings.from_flat(**analysis)
    except ParameterError as exc:
        raise ParameterError(f"parameter {exc}") from exc
    p = check_values(REPORT_SPEC, {k: v for k, v in params.items() if k in _REPORT})
    video = p.pop("video") or sample_clip()
    out_dir = project_path(p.pop("out_dir") or Path("outputs") / Path(video).stem)
    return ReportParameters(video=Path(video), out_dir=Path(out_dir), settings=settings, **p)


def notebook_parameters(namespace: Mapping[str, Any], before: Iterable[str]) -> dict[str, Any]:
    """The parameters of this run of a notebook: the names its parameter cells (the
    `parameters` cell and papermill's injected one) assign, with their current values.

    In a kernel the cells run since `before` was taken are read back from the input history
    (IPython's `_ih`) and parsed: only the names they assign count, so a second "run all"
    without a restart neither keeps the first run's names nor misses the ones it assigns
    again. Without a history (a plain namespace) the names defined since `before` count.
    Papermill only warns about unknown parameters; passing everything the parameter cells
    defined to `check_parameters` makes the package refuse them.
    """
    names = _names_assigned_since(namespace, before)
    if names is None:
        seen = set(before)
        names = [k for k in namespace if k not in seen]
    return {k: namespace[k] for k in names if k in namespace and not k.startswith("_")}


def _names_assigned_since(namespace: Mapping[str, Any], before: Iterable[str]) -> list[str] | None:
    """The names assigned at top level by the cells run after the one that took `before`
    (found as the cell assigning the object `before`), the running cell excluded; None
    without an input history."""
    history = namespace.get("_ih")
    if not isinstance(history, list) or len(history) < 2:
        return None
    marker = {k for k, v in namespace.items() if v is before}
    names: list[str] = []
    for source in reversed(history[:-1]):  # the last entry is the cell running now
        assigned = _assigned_names(source)
        if marker & set(assigned):
            return list(dict.fromkeys(names))
        names[:0] = assigned
    return None


def _assigned_names(source: str) -> list[str]:
    """The names a cell assigns at top level (`x = ...`, `x: int = ...`, `x = y = ...`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like assign no parameter
        return []
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            elts = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
            names += [t.id for t in elts if isinstance(t, ast.Name)]
    return names
