"""The main job: one HTML report per clip, and an index of them.

For each clip, the report notebook (`notebooks/clip_report.ipynb`) is executed with
papermill into `out_dir/<clip>/report.ipynb`, then exported with nbconvert to
`out_dir/<clip>/report.html`; `out_dir/index.html` lists every clip of the folder, from this
batch and earlier ones (`<clip>/status.json`). A clip that fails gets a row with the reason
and a link to its partial notebook (without this machine's paths); the other clips go on.
An interrupted batch leaves its unfinished clips marked as such in the index.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from emohelpers.analysis.video import VIDEO_SUFFIXES, list_videos, probe_video
from emohelpers.core.assets import cache_dir, sample_clips
from emohelpers.core.atomic import disk_full_message, is_disk_full
from emohelpers.core.errors import DiskFullError, EmoError, ParameterError
from emohelpers.core.folder_lock import folder_lock
from emohelpers.core.notebooks import notebook_path
from emohelpers.core.output import ensure_out_dir
from emohelpers.core.settings import AnalysisSettings
from emohelpers.report.clip_status import STATUS_FILE, write_status
from emohelpers.report.folders import clip_folders, clip_source_id
from emohelpers.report.html import export_report
from emohelpers.report.index_page import ClipResult, write_index
from emohelpers.report.key_figures_file import read_key_figures
from emohelpers.report.parameters import check_parameters
from emohelpers.report.shareable import strip_paths, write_shareable_notebook

log = logging.getLogger(__name__)

NOTEBOOK_NAME = "clip_report.ipynb"


def report_notebook() -> Path:
    """The report notebook, shipped with the package."""
    return notebook_path(NOTEBOOK_NAME)


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
        log.info("no videos in %s: using the sample clips", [str(i) for i in inputs or []])
        videos = sample_clips()
    return videos


def _one_line(text: str, paths: Iterable[Path]) -> str:
    """The first non-empty line of `text`, with machine paths cut to their names."""
    lines = [ln.strip() for ln in strip_paths(str(text), paths).splitlines() if ln.strip()]
    return lines[0] if lines else "unknown error"


def kernel_name() -> str:
    """The Jupyter kernel to run notebooks in: "emohelpers" (registered by tools/setup.sh)
    when it runs this Python, else "python3", checked to be this Python."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel  # see run_clip

    specs = KernelSpecManager()
    try:
        # jupyter_client runs a spec's bare "python" as sys.executable (this interpreter).
        if specs.get_kernel_spec("emohelpers").argv[0] in ("python", "python3", sys.executable):
            return "emohelpers"
    except NoSuchKernel:
        pass
    try:
        argv0 = specs.get_kernel_spec("python3").argv[0]
    except NoSuchKernel as exc:
        raise ParameterError(
            "no Jupyter kernel 'emohelpers' or 'python3'; fix: python -m ipykernel install "
            '--sys-prefix --name emohelpers --display-name "Python (emohelpers)"'
        ) from exc
    if argv0 not in ("python", "python3", sys.executable):
        log.warning(
            "the 'python3' kernel runs %s, not %s: emohelpers may be missing there; "
            "fix: %s -m ipykernel install --sys-prefix --name emohelpers",
            argv0,
            sys.executable,
            sys.executable,
        )
    return "python3"


def run_clip(
    video: Path,
    folder: Path,
    parameters: dict[str, Any],
    show_inputs: bool = False,
) -> ClipResult:
    """`_run_clip`; on a full disk the clip's notebook, pages and status are removed (a
    later run never takes them for finished work) and `DiskFullError` stops the batch."""
    from emohelpers.report.kernel import KERNEL_LOG  # see _run_clip

    try:
        return _run_clip(video, folder, parameters, show_inputs)
    except (DiskFullError, OSError) as exc:
        if not isinstance(exc, DiskFullError) and not is_disk_full(exc):
            raise
        result = ClipResult(video=video, folder=folder, ok=False)
        for name in (result.notebook, result.partial_notebook, result.report, folder / KERNEL_LOG):
            name.unlink(missing_ok=True)
        (folder / STATUS_FILE).unlink(missing_ok=True)
        if isinstance(exc, DiskFullError):
            raise
        raise DiskFullError(disk_full_message(exc.filename or folder)) from exc


def _run_clip(
    video: Path,
    folder: Path,
    parameters: dict[str, Any],
    show_inputs: bool = False,
) -> ClipResult:
    """Execute the report notebook for one clip and export its HTML.

    The clip's `status.json` says "started" while it runs and "ok" or "failed" once done;
    an interrupted run leaves "started". A clip that did not succeed gets
    `partial-report.ipynb`, the notebook without this machine's paths, for the index to link.
    The kernel's own output goes to `kernel.log`, kept only when the clip did not succeed.

    Args:
        video: the clip.
        folder: its output folder (created).
        parameters: notebook parameters other than `video` and `out_dir`.
        show_inputs: show the code cells in the HTML.

    Returns:
        The clip's result; failures are caught and described, never raised
        (KeyboardInterrupt is, after the partial notebook is written).
    """
    import papermill as pm  # loads in ~1 s: only when a report runs, not at --help

    from emohelpers.report.kernel import KERNEL_LOG, kernel_options  # see papermill

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    video = video.resolve()
    params = {**parameters, "video": str(video), "out_dir": str(folder.resolve())}
    model = Path(str(parameters.get("model", "")))
    hidden = [
        video.parent,
        folder.resolve().parent,
        folder.resolve(),
        Path.home(),
        cache_dir(),
        *([model.resolve()] if model.is_dir() else []),
    ]
    result = ClipResult(video=video, folder=folder, ok=False)
    for stale in (result.report, result.partial_notebook, folder / KERNEL_LOG):
        stale.unlink(missing_ok=True)  # never leave a stale page beside a failed run
    source = clip_source_id(video)  # which file the folder is for (`folders.clip_folders`)
    write_status(folder, "started", video.name, source=source)
    try:
        probe_video(video)  # the cheap media check: no kernel for an unreadable clip
        kernel = kernel_name()
        with _papermill_parameter_notes_off():
            pm.execute_notebook(
                str(report_notebook()),
                str(result.notebook),
                parameters=params,
                kernel_name=kernel,
                cwd=str(folder),
                progress_bar=False,
                log_output=False,
                **kernel_options(folder.resolve() / KERNEL_LOG),
            )
        sections = check_parameters(**params).sections
        title = f"{video.name}: facial expressions"
        export_report(
            result.notebook, result.report, sections=sections, show_inputs=show_inputs, title=title
        )
        result.ok = True
    except pm.PapermillExecutionError as exc:
        if exc.ename == "DiskFullError" or "No space left on device" in str(exc.evalue):
            raise DiskFullError(_one_line(str(exc.evalue), [])) from exc  # stops the batch
        result.error = _one_line(f"{exc.ename}: {exc.evalue}", hidden)
    except (EmoError, OSError, RuntimeError, ValueError) as exc:
        if isinstance(exc, DiskFullError) or is_disk_full(exc):
            raise
        result.error = _one_line(f"{type(exc).__name__}: {exc}", hidden)
    finally:
        if not result.ok and result.notebook.is_file():
            try:
                write_shareable_notebook(result.notebook, result.partial_notebook, hidden)
            except ValueError as exc:  # a notebook cut short (a full disk): none to share
                log.warning("%s: no partial notebook (%s)", video.name, _one_line(str(exc), []))
    if result.ok:
        (folder / KERNEL_LOG).unlink(missing_ok=True)
    if result.ok:
        result.key_figures = read_key_figures(folder) or {}
    result.seconds = time.perf_counter() - t0
    result.state = "ok" if result.ok else "failed"
    seconds = round(result.seconds, 1)
    write_status(
        folder, result.state, video.name, error=result.error, seconds=seconds, source=source
    )
    log.debug("%s: %s in %.1f s", video.name, "ok" if result.ok else result.error, result.seconds)
    return result


def run_reports(
    inputs: Sequence[str | Path] | None,
    out_dir: str | Path,
    settings: AnalysisSettings | None = None,
    *,
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
        out_dir: output folder; each clip gets `out_dir/<clip stem>/` (unique and stable:
            `folders.clip_folders`).
        settings: the analysis settings (default: the defaults).
        show_inputs: show the notebook's code cells in the HTML reports.
        sections: "all" or the sections to include (see `parameters.SECTIONS`).
        progress: show a progress bar over the clips.
        on_result: called with each clip's result as soon as it is done.
        **parameters: further notebook parameters (`radar`, `gallery_size`, ...).

    Returns:
        One result per clip, in input order; `all(r.ok for r in results)` when all succeeded.

    Raises:
        ParameterError: for invalid parameters or inputs (before any clip runs).
        OutputError: when `out_dir` cannot be created or written, or a clip's folder is in
            use by another run (before any clip runs).
    """
    sections = sections if isinstance(sections, str) else list(sections)
    settings = settings or AnalysisSettings()
    # Only what differs from the defaults (the notebook's parameters cell holds the same
    # defaults, tested): papermill warns about every name that cell does not list.
    default = AnalysisSettings().to_flat()
    changed = {k: v for k, v in settings.to_flat().items() if v != default[k]}
    params = {**changed, "sections": sections, **parameters}
    check_parameters(**{**params, "video": "check", "out_dir": "."})  # fail before any clip
    videos = collect_inputs(inputs)
    out = ensure_out_dir(out_dir)
    results: list[ClipResult] = []
    names = clip_folders(videos, out)
    from emohelpers.report.kernel import quiet_after_interrupt  # loads jupyter_client

    with ExitStack() as held:
        for name in names:  # one run per clip folder: a second batch into one is refused
            held.enter_context(folder_lock(out / name))
        for video, name in zip(videos, names, strict=True):  # an interrupted batch shows the rest
            write_status(out / name, "queued", video.name, source=clip_source_id(video))
        bar = tqdm(total=len(videos), desc="reports", unit="clip", disable=not progress)
        with quiet_after_interrupt():
            try:
                for video, name in zip(videos, names, strict=True):
                    bar.set_postfix_str(video.name)
                    result = run_clip(video, out / name, params, show_inputs=show_inputs)
                    results.append(result)
                    write_index(results, out)
                    if on_result:
                        on_result(result)
                    bar.update(1)
            finally:
                bar.close()
                if len(results) < len(videos):  # interrupted: the index lists the unfinished
                    write_index(results, out)
    return results


@contextmanager
def _papermill_parameter_notes_off() -> Iterator[None]:
    """Within the block, papermill's notes about the parameters cell are not shown: "Unable
    to parse line" (the cell's comments hold ">=") and "Passed unknown parameter" (every
    setting is passed, the cell shows a chosen few; `check_parameters` refuses real
    unknowns). The loggers' levels are given back after."""
    loggers = [logging.getLogger(n) for n in ("papermill.translators", "papermill.execute")]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, saved, strict=True):
            lg.setLevel(level)
