"""The main job: one HTML report per clip, and an index of them.

For each clip, the report notebook (`notebooks/clip_report.ipynb`) is executed with
papermill into `out_dir/<clip>/report.ipynb`, then exported with nbconvert to
`out_dir/<clip>/report.html`; `out_dir/index.html` lists every clip. A clip that fails gets
a row with the reason and a link to its partial notebook; the other clips go on.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from emohelpers.core.errors import AssetError, EmoError, ParameterError
from emohelpers.report.index_page import export_report, write_index
from emohelpers.report.sections import KEY_FIGURES_FILE, SECTIONS
from emohelpers.analysis.video import VIDEO_SUFFIXES, list_videos

log = logging.getLogger(__name__)

NOTEBOOK_NAME = "clip_report.ipynb"
RADAR_STYLES = ("per-person", "main")
VALENCE_MAPPINGS = ("default", "debate")


@dataclass(frozen=True)
class ReportParameters:
    """The report notebook's parameters, checked (see the notebook's `parameters` cell).

    Attributes:
        video: the video file; None in the notebook means the sample clip.
        out_dir: folder of the table, annotated video and key figures.
        model: "auto" | "mini-xception" | a Hugging Face id | a local model folder.
        every_n: analyse every n-th frame (None when `fps` is given).
        fps: analyse this many frames per second of video instead.
        device: "auto" | "cpu" | "cuda".
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
    model: str = "auto"
    every_n: int | None = 1
    fps: float | None = None
    device: str = "auto"
    sections: tuple[str, ...] = SECTIONS
    radar: str = "per-person"
    max_persons: int = 4
    gallery_size: int = 8
    bars_frame: int | None = None
    window_s: float = 2.0
    valence_mapping: str = "default"
    valence_margin: float = 0.1
    smooth_s: float = 1.0

    def analyze_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `pipeline.analyze` / `load_or_analyze`."""
        return {"model": self.model, "every_n": self.every_n, "fps": self.fps,
                "device": self.device, "progress": False}  # fmt: skip


PARAMETER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ReportParameters))


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
    "model": (_is_path, '"auto", "mini-xception", a Hugging Face model id or a local folder'),
    "every_n": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer >= 1, or None"),
    "fps": (lambda v: v is None or (_is_num(v) and v > 0), "a number > 0, or None"),
    "device": (lambda v: v in ("auto", "cpu", "cuda") or str(v).startswith("cuda:"),
               '"auto", "cpu", "cuda" or "cuda:N"'),
    "radar": (lambda v: v in RADAR_STYLES, f"one of {list(RADAR_STYLES)}"),
    "max_persons": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "gallery_size": (lambda v: _is_int(v) and 0 <= v <= 48, "an integer in 0..48"),
    "bars_frame": (lambda v: v is None or (_is_int(v) and v >= 0), "a frame index, or None"),
    "window_s": (lambda v: _is_num(v) and v > 0, "a number of seconds > 0"),
    "valence_mapping": (lambda v: v in VALENCE_MAPPINGS, f"one of {list(VALENCE_MAPPINGS)}"),
    "valence_margin": (lambda v: _is_num(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "smooth_s": (lambda v: _is_num(v) and v > 0, "a number of seconds > 0"),
}  # fmt: skip


def check_parameters(**params: Any) -> ReportParameters:
    """Check the report's parameters; unknown names and bad values are refused.

    `every_n` = 1 is the notebook's default: with `fps` given it yields to `fps`.

    Args:
        **params: the notebook's parameters by name (see `ReportParameters`).

    Returns:
        The checked parameters; `video` None becomes the sample clip, `out_dir` None
        `outputs/<video stem>`, `sections` "all" (or None) every section.

    Raises:
        ParameterError: naming the parameter, its value and what is allowed.
    """
    unknown = sorted(set(params) - set(PARAMETER_NAMES))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; allowed: {list(PARAMETER_NAMES)}")
    defaults = {f.name: f.default for f in fields(ReportParameters)}
    p = {**defaults, "video": None, "out_dir": None, "sections": "all", **params}
    for name, (ok, allowed) in _RULES.items():
        if not ok(p[name]):
            raise ParameterError(f"parameter {name}={p[name]!r}: invalid; allowed: {allowed}")
    sections = SECTIONS if p["sections"] in ("all", None) else p["sections"]
    if isinstance(sections, str):
        sections = [s.strip() for s in sections.split(",") if s.strip()]
    if not (isinstance(sections, list | tuple) and all(s in SECTIONS for s in sections)):
        raise ParameterError(f"parameter sections={p['sections']!r}: invalid; allowed: \"all\" "
                             f"or a list from {list(SECTIONS)}")  # fmt: skip
    if p["fps"] is not None:
        if p["every_n"] not in (None, 1):
            raise ParameterError(f"parameters every_n={p['every_n']} and fps={p['fps']}: "
                                 "give one, not both")  # fmt: skip
        p["every_n"], p["fps"] = None, float(p["fps"])
    elif p["every_n"] is None:
        p["every_n"] = 1
    if p["video"] is None:
        from emohelpers.core.assets import sample_clip

        p["video"] = sample_clip()
    p["video"] = Path(p["video"])
    out_dir = p["out_dir"]
    p["out_dir"] = Path(out_dir) if out_dir is not None else Path("outputs") / p["video"].stem
    p["sections"] = tuple(s for s in SECTIONS if s in sections)
    p["model"] = str(p["model"])
    for name in ("window_s", "valence_margin", "smooth_s"):
        p[name] = float(p[name])
    return ReportParameters(**p)


def notebook_parameters(namespace: Mapping[str, Any], before: Iterable[str]) -> dict[str, Any]:
    """The names a notebook defined since `before` (its parameters, injected ones included).

    Papermill only warns about unknown parameters; passing everything the parameter cells
    defined to `check_parameters` makes the package refuse them.
    """
    seen = set(before)
    return {k: v for k, v in namespace.items() if k not in seen and not k.startswith("_")}


# --- the batch -----------------------------------------------------------------------------


@dataclass
class ClipResult:
    """What happened to one clip of a batch.

    Attributes:
        video: the clip.
        folder: its output folder, `out_dir/<name>`.
        ok: whether the report was made.
        error: one line saying why not (None when ok).
        seconds: wall time spent on the clip.
        key_figures: the report's `key_figures.json` (empty when it failed early).
    """

    video: Path
    folder: Path
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    key_figures: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The folder's name (unique within the batch)."""
        return self.folder.name

    @property
    def report(self) -> Path:
        """`report.html` (exists only when ok)."""
        return self.folder / "report.html"

    @property
    def notebook(self) -> Path:
        """The executed (or partial) notebook."""
        return self.folder / "report.ipynb"


def report_notebook() -> Path:
    """The report notebook: `notebooks/` of the source tree, else the package's copy."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here.parent / "notebooks" / NOTEBOOK_NAME,
        here / "notebooks" / NOTEBOOK_NAME,
    ):
        if candidate.is_file():
            return candidate
    raise AssetError(
        f"{NOTEBOOK_NAME}: not found beside the package ({here}); reinstall emohelpers"
    )


def collect_inputs(inputs: Sequence[str | Path] | None) -> list[Path]:
    """The videos to report on: files as given, folders' videos by name; the sample clips
    when no input names a video (no inputs, or only folders without videos).

    Raises:
        ParameterError: for a path that does not exist, or a file that is not a video.
    """
    videos: list[Path] = []
    for item in inputs or []:
        p = Path(item)
        if p.is_dir():
            videos += list_videos(p)
        elif p.is_file():
            if p.suffix.lower() not in VIDEO_SUFFIXES:
                raise ParameterError(f"{p}: not a video file (expected one of {VIDEO_SUFFIXES})")
            videos.append(p)
        else:
            raise ParameterError(f"{p}: no such file or folder")
    if not videos:
        from emohelpers.core.assets import sample_clips

        log.info("no videos in %s: using the sample clips", [str(i) for i in inputs or []])
        videos = sample_clips()
    return videos


def clip_folders(videos: Sequence[Path]) -> list[str]:
    """One folder name per video: its stem in safe characters, made unique with -2, -3..."""
    names, taken = [], set()
    for v in videos:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", v.stem).strip("._") or "clip"
        name, k = base, 1
        while name.lower() in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add(name.lower())
        names.append(name)
    return names


def _one_line(text: str, paths: Iterable[Path]) -> str:
    """The first non-empty line of `text`, with machine paths cut to their names."""
    for p in sorted({str(x) for x in paths if str(x) not in ("", ".")}, key=len, reverse=True):
        text = text.replace(p + "/", "").replace(p, Path(p).name)
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else "unknown error"


def kernel_name() -> str:
    """The Jupyter kernel to run notebooks in: "python3", checked to be this Python."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
    except NoSuchKernel as exc:
        raise ParameterError(
            "no Jupyter kernel 'python3'; fix: python -m ipykernel install --sys-prefix"
        ) from exc
    # jupyter_client runs a spec's bare "python" as sys.executable (this interpreter).
    if argv0 not in ("python", "python3", sys.executable):
        log.warning("the 'python3' kernel runs %s, not %s: emohelpers may be missing there; "
                    "fix: %s -m ipykernel install --sys-prefix", argv0, sys.executable,
                    sys.executable)  # fmt: skip
    return "python3"


def run_clip(video: Path, folder: Path, parameters: dict[str, Any], show_inputs: bool = False,
             ) -> ClipResult:  # fmt: skip
    """Execute the report notebook for one clip and export its HTML.

    Args:
        video: the clip.
        folder: its output folder (created).
        parameters: notebook parameters other than `video` and `out_dir`.
        show_inputs: show the code cells in the HTML.

    Returns:
        The clip's result; failures are caught and described, never raised.
    """
    import papermill as pm

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    video = video.resolve()
    params = {**parameters, "video": str(video), "out_dir": str(folder.resolve())}
    hidden = [video.parent, folder.resolve().parent, folder.resolve(), Path.home()]
    result = ClipResult(video=video, folder=folder, ok=False)
    result.report.unlink(missing_ok=True)  # never leave a stale page beside a failed run
    try:
        pm.execute_notebook(
            str(report_notebook()), str(result.notebook), parameters=params,
            kernel_name=kernel_name(), cwd=str(folder), progress_bar=False, log_output=False,
        )  # fmt: skip
        sections = check_parameters(**params).sections
        title = f"{video.name}: facial expressions"
        export_report(result.notebook, result.report, sections=sections,
                      show_inputs=show_inputs, title=title)  # fmt: skip
        result.ok = True
    except pm.PapermillExecutionError as exc:
        result.error = _one_line(f"{exc.ename}: {exc.evalue}", hidden)
    except (EmoError, OSError, RuntimeError, ValueError) as exc:
        result.error = _one_line(f"{type(exc).__name__}: {exc}", hidden)
    key_file = folder / KEY_FIGURES_FILE
    if result.ok and key_file.is_file():
        result.key_figures = json.loads(key_file.read_text())
    result.seconds = time.perf_counter() - t0
    log.debug("%s: %s in %.1f s", video.name, "ok" if result.ok else result.error, result.seconds)
    return result


def run_reports(
    inputs: Sequence[str | Path] | None,
    out_dir: str | Path,
    *,
    model: str = "auto",
    every_n: int | None = None,
    fps: float | None = None,
    show_inputs: bool = False,
    sections: Sequence[str] | str = "all",
    progress: bool = True,
    on_result: Callable[[ClipResult], None] | None = None,
    **parameters: Any,
) -> list[ClipResult]:
    """Report on every clip and write `out_dir/index.html`.

    Args:
        inputs: video files and folders of videos; none (or only empty folders) means the
            sample clips.
        out_dir: output folder; each clip gets `out_dir/<clip stem>/` (made unique).
        model, every_n, fps: the analysis settings (see `pipeline.analyze`).
        show_inputs: show the notebook's code cells in the HTML reports.
        sections: "all" or the sections to include (see `report_sections.SECTIONS`).
        progress: show a progress bar over the clips.
        on_result: called with each clip's result as soon as it is done.
        **parameters: further notebook parameters (`radar`, `gallery_size`, ...).

    Returns:
        One result per clip, in input order; `all(r.ok for r in results)` when all succeeded.

    Raises:
        ParameterError: for invalid parameters or inputs (before any clip runs).
    """
    sections = sections if isinstance(sections, str) else list(sections)
    params = {"model": str(model), "every_n": every_n, "fps": fps, "sections": sections,
              **parameters}  # fmt: skip
    check_parameters(**{**params, "video": "check", "out_dir": "."})  # fail before any clip
    videos = collect_inputs(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: list[ClipResult] = []
    bar = tqdm(total=len(videos), desc="reports", unit="clip", disable=not progress)
    try:
        for video, name in zip(videos, clip_folders(videos), strict=True):
            bar.set_postfix_str(video.name)
            result = run_clip(video, out / name, params, show_inputs=show_inputs)
            results.append(result)
            write_index(results, out)
            if on_result:
                on_result(result)
            bar.update(1)
    finally:
        bar.close()
    return results
