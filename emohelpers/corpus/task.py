"""One clip of a corpus run, as it runs on a worker: analyse, write, summarise.

`run_clip` is the Dask task (and the in-process loop's step). It writes the clip's files
itself (`clips/<clip>/`, its dataset partition, optionally its report) and returns only a
small dict, the clip's row of `clips.parquet`. Analyzers (`analysis.analyzer.Analyzer`, with
all their models: detector, classifier, re-identification, voice) are cached per worker
process, keyed by the settings, so a worker builds its models once for all its clips.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import socket
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emohelpers.analysis.naming import names_are_current, wanted_cast
from emohelpers.analysis.table import Analysis
from emohelpers.core.atomic import is_disk_full
from emohelpers.core.errors import EmoError, ParameterError
from emohelpers.core.settings import AnalysisSettings
from emohelpers.corpus import dataset
from emohelpers.corpus.manifest import Clip
from emohelpers.summaries.clip_summary import summarise_analysis
from emohelpers.summaries.shots import shot_table

log = logging.getLogger(__name__)

#: The marker's `cast` when no cast names the clip's persons (`naming.wanted_cast`).
NO_CAST: dict[str, Any] = {"key": None, "max_distance": None}


@dataclass(frozen=True)
class TaskSettings:
    """What every clip of a run shares.

    Attributes:
        analysis: the analysis settings; a dict of flat names (`model`, `every_n`,
            `min_face_px`, ...) is turned into `AnalysisSettings`.
        batch_frames: frames per detector call.
        reports: also write each clip's HTML report (`clips/<clip>/report.html`).
        report_parameters: further report-notebook parameters (`sections`, `radar`, ...).
        valence_mapping: "default" | "debate", for the main person's verdict.
        valence_margin: |score| a verdict needs, in [0, 1].
    """

    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    batch_frames: int = 16
    reports: bool = False
    report_parameters: dict[str, Any] = field(default_factory=dict)
    valence_mapping: str = "default"
    valence_margin: float = 0.1

    def __post_init__(self) -> None:
        if isinstance(self.analysis, dict):
            object.__setattr__(self, "analysis", AnalysisSettings.from_flat(**self.analysis))
        if not isinstance(self.analysis, AnalysisSettings):
            raise ParameterError(f"analysis={self.analysis!r}: expected AnalysisSettings")
        if not (isinstance(self.batch_frames, int) and self.batch_frames >= 1):
            raise ParameterError(f"batch_frames={self.batch_frames!r}: an integer >= 1")


# Per worker process: (analysis settings, batch_frames) -> the analyzer built for them.
_ANALYZERS: dict[tuple[AnalysisSettings, int], Any] = {}
# Per worker process: torch intra-op threads for its tasks (set by the engine's plugin).
_TORCH_THREADS: list[int] = []


def set_task_torch_threads(threads: int) -> None:
    """Torch threads for this process's tasks, applied by each task in its own thread.

    torch's OpenMP thread count is per thread: a call in the thread that registers the worker
    plugin does not reach the worker's task thread, which keeps `OMP_NUM_THREADS` (1 under
    Dask's default worker environment).
    """
    _TORCH_THREADS[:] = [int(threads)]


#: glibc's mallopt parameters, and the values its dynamic thresholds settle at (64-bit).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 * 2**20, 64 * 2**20


def undo_dask_malloc_trim() -> bool:
    """Give this worker process glibc's usual malloc thresholds back.

    Dask's nanny starts workers with `MALLOC_TRIM_THRESHOLD_=65536`, which fixes glibc's
    thresholds low: every large array (frames, batches) is mapped and unmapped again, and the
    analysis runs 2.2-2.4x slower in page faults (measured on the sample clip). Setting the
    thresholds to where glibc's dynamic ones settle restores the speed.

    Returns:
        whether the thresholds were set (only on glibc, when the variable is set).
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(
            libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
            and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
        )
    except (OSError, AttributeError):  # not glibc
        return False


def _apply_torch_threads() -> None:
    if _TORCH_THREADS:
        import torch  # in the worker, when a task runs: the engine's process needs none

        if torch.get_num_threads() != _TORCH_THREADS[0]:
            torch.set_num_threads(_TORCH_THREADS[0])


def cached_analyzer(settings: AnalysisSettings, batch_frames: int = 16) -> tuple[Any, bool]:
    """The analyzer of these settings in this process, built (its models loaded) on first use.

    Returns:
        (`Analyzer`, whether this call built it).
    """
    from emohelpers.analysis.analyzer import Analyzer  # loads torch: only in a task

    key = (settings, int(batch_frames))
    if key in _ANALYZERS:
        return _ANALYZERS[key], False
    analyzer = Analyzer(settings, batch_frames=batch_frames, progress=False)
    _ANALYZERS[key] = analyzer
    return analyzer, True


def worker_name() -> str:
    """`host:pid` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def one_line(text: str, video: Path | None = None) -> str:
    """The first non-empty line of `text`, with the video's folder cut from paths."""
    if video is not None:
        text = text.replace(str(video.parent) + os.sep, "")
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else "unknown error"


def failed_row(clip: Clip, error: str, seconds: float = 0.0) -> dict[str, Any]:
    """The row of a clip that failed (or could not start)."""
    return {
        "clip": clip.name,
        "video": str(clip.video),
        "status": "failed",
        "error": error,
        "skipped": False,
        "seconds": round(seconds, 3),
        "worker": worker_name(),
        **clip.metadata,
    }


def summary_row(clip: Clip, analysis: Any, settings: TaskSettings) -> dict[str, Any]:
    """The clip's row of `clips.parquet` from its analysis (see `dataset.CLIP_DTYPES`): the
    figures of its `ClipSummary`, the main person's dominant emotion and verdict."""
    figures = summarise_analysis(
        analysis,
        settings.valence_mapping,
        settings.valence_margin,
        min_quality=settings.analysis.min_quality,
    )
    prov = analysis.provenance
    video = prov.video
    return {
        "clip": clip.name,
        "video": str(clip.video),
        "status": "ok",
        "error": None,
        "skipped": False,
        "duration_s": video.get("duration_s"),
        "fps": video.get("fps"),
        **figures.row(),
        "names": cast_names(analysis),
        "model": prov.model_name,
        "device": prov.device,
        "video_sha256": video.get("sha256"),
        **clip.metadata,
    }


def cast_names(analysis: Any) -> str | None:
    """The cast members named in a clip, comma-separated in person order; None for none."""
    persons = analysis.persons
    if persons is None:
        return None
    names = list(dict.fromkeys(str(n) for n in persons["name"].dropna()))
    return ", ".join(names) or None


def _finished(
    folder: Path, out_dir: Path, clip: Clip, wanted: dict, reports: bool, cast: dict
) -> dict | None:
    """The stored row when the clip is complete for these settings and cast, else None."""
    row = dataset.read_marker(folder)
    if not row or row.get("status") != "ok" or row.get("settings") != wanted:
        return None
    if row.get("cast", NO_CAST) != cast:
        return None
    if not dataset.partition_path(out_dir, clip.name).is_file():
        return None
    if not dataset.shots_path(out_dir, clip.name).is_file():
        return None  # finished before shot tables existed: made now (its analysis reused)
    if reports and not (folder / "report.html").is_file():
        return None
    if {k: row.get(k) for k in clip.metadata} != clip.metadata:
        return None  # the manifest's metadata changed: rewrite the partition
    return row


def _analysis(
    video: Path,
    folder: Path,
    wanted: dict,
    settings: TaskSettings,
) -> tuple[Any, bool, bool]:
    """The saved analysis in `folder` when made with `wanted` settings, else a new one;
    returns (analysis, whether a model was loaded, whether the saved one was reused)."""
    try:
        saved = Analysis.load(folder)
        if saved.provenance.cache_key() == wanted and saved.provenance.reusable:
            if names_are_current(saved, settings.analysis):
                return saved, False, True
            if settings.analysis.tracker.cast is None or saved.persons is not None:
                analyzer, loaded = cached_analyzer(settings.analysis, settings.batch_frames)
                named = analyzer.name(saved)  # a new cast: names anew, faces reused
                named.save(folder)
                return named, loaded, True
    except EmoError:
        pass
    analyzer, loaded = cached_analyzer(settings.analysis, settings.batch_frames)
    result = analyzer(video)
    result.save(folder)
    return result, loaded, False


def _report(clip: Clip, folder: Path, settings: TaskSettings) -> str | None:
    """Run the clip's report (it reuses the saved analysis); None when made, else why not."""
    # the report stack (papermill, PyAV): only when a task makes a report
    from emohelpers.report.run import run_clip as run_report_clip

    params = {**settings.analysis.to_flat(), **settings.report_parameters}
    result = run_report_clip(clip.video, folder, params)
    return None if result.ok else f"report: {result.error}"


def finished_row(clip: Clip, out_dir: str | Path, settings: TaskSettings) -> dict | None:
    """The clip's skipped row when `clips/<clip>/clip.json` says it is finished for the same
    video content and settings (as `run_clip` decides), else None; decided in the client
    before any cluster starts. A clip that cannot be checked is left to its task."""
    from emohelpers.analysis.pipeline import cache_key  # torch: only when a corpus runs

    if clip.problem:
        return None
    out = Path(out_dir)
    try:
        wanted = json.loads(json.dumps(cache_key(clip.video, settings.analysis)))
        cast = wanted_cast(settings.analysis)
        folder = dataset.clip_folder(out, clip.name)
        done = _finished(folder, out, clip, wanted, settings.reports, cast)
    except (EmoError, OSError, ValueError):
        return None
    return None if done is None else {**done, "skipped": True, "model_loaded": False}


def _forget(out: Path, name: str) -> None:
    """Remove the clip's partition and marker, as far as a full disk lets us."""
    for remove in (
        lambda: dataset.remove_partition(out, name),
        lambda: (dataset.clip_folder(out, name) / dataset.MARKER_FILE).unlink(missing_ok=True),
    ):
        try:
            remove()
        except OSError:
            log.debug("%s: could not clean up after a full disk", name, exc_info=True)


def run_clip(clip: Clip, out_dir: str | Path, settings: TaskSettings) -> dict[str, Any]:
    """Analyse one clip and write its outputs; the task of a corpus run.

    Skips the work when `clips/<clip>/clip.json` says the clip is finished for the same video
    content (sha256) and settings, and its partition (and report, if asked) exist. Otherwise
    removes its partition, analyses (reusing a saved analysis of the same settings), writes
    `clips/<clip>/`, the partition, the report if asked, and `clip.json` last.

    Args:
        clip: the clip (see `manifest.Clip`).
        out_dir: the corpus run's folder.
        settings: the run's shared settings.

    Returns:
        The clip's row (JSON-ready, small); failures are described in it, not raised,
        except those of unforeseen kinds, which the engine records from the task's error,
        and a full disk (`DiskFullError` or ENOSPC), which stops the run.
    """
    from emohelpers.analysis.pipeline import cache_key  # loads torch: only in a task

    t0 = time.perf_counter()
    out = Path(out_dir)
    folder = dataset.clip_folder(out, clip.name)
    if clip.problem:
        return failed_row(clip, clip.problem)
    try:
        wanted = json.loads(json.dumps(cache_key(clip.video, settings.analysis)))
        cast = wanted_cast(settings.analysis)
        done = _finished(folder, out, clip, wanted, settings.reports, cast)
        if done is not None:
            log.info("%s: finished earlier with the same settings; skipped", clip.name)
            return {**done, "skipped": True, "model_loaded": False}
        dataset.remove_partition(out, clip.name)
        (folder / dataset.MARKER_FILE).unlink(missing_ok=True)
        _apply_torch_threads()
        analysis, loaded, reused = _analysis(clip.video, folder, wanted, settings)
        dataset.write_partition(out, clip.name, analysis.table, clip.metadata)
        dataset.write_shots(out, clip.name, shot_table(analysis.table), clip.metadata)
        row = {**summary_row(clip, analysis, settings), "reused": reused}
        error = _report(clip, folder, settings) if settings.reports else None
        if settings.reports and error is None:
            row["report"] = f"{dataset.CLIPS_DIR}/{clip.name}/report.html"
        if error:
            row.update(status="failed", error=error)
    except (EmoError, OSError, RuntimeError, ValueError) as exc:
        log.debug("%s failed:\n%s", clip.name, traceback.format_exc())
        if is_disk_full(exc):  # the run stops (see `engine`); nothing here says finished
            _forget(out, clip.name)
            raise
        dataset.remove_partition(out, clip.name)
        row = failed_row(clip, one_line(f"{type(exc).__name__}: {exc}", clip.video))
        wanted, loaded, cast = None, False, NO_CAST
    row.update(
        seconds=round(time.perf_counter() - t0, 3),
        worker=worker_name(),
        pid=os.getpid(),
        model_loaded=loaded,
        settings=wanted,
        cast=cast,
    )
    if row["status"] != "ok":
        dataset.remove_partition(out, clip.name)
    folder.mkdir(parents=True, exist_ok=True)
    dataset.write_marker(folder, row)
    return row
