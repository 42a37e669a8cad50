"""The corpus engine: one Dask task per clip, on a local cluster, a scheduler, or in-process.

- Default: a `distributed.LocalCluster` sized to the machine (worker processes with one
  thread each; torch's intra-op threads set per worker to the cores it may use, so workers
  never oversubscribe the machine).
- `scheduler="tcp://HOST:8786"` (or `$DASK_SCHEDULER_ADDRESS`): an existing cluster whose
  workers have emohelpers installed and see the same paths.
- `workers=0`: the same task in a plain loop in this process (for debugging).

The cluster and what its workers get (threads, environment) are `cluster.py`'s.

At most `max_in_flight` clips (default: twice the worker threads) are submitted at a time;
each task writes its outputs itself and returns only its small row, so a manifest of
thousands of clips never holds thousands of results. A clip on a worker that died twice
(`distributed.scheduler.allowed-failures` = 1) is recorded as failed and the rest go on;
a full disk stops the run (the rest cancelled, the cluster closed, its error raised).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import as_completed
from tqdm.auto import tqdm

from emohelpers.analysis.naming import load_cast
from emohelpers.core.atomic import is_disk_full
from emohelpers.core.errors import ParameterError
from emohelpers.corpus import dataset
from emohelpers.corpus.cluster import ALLOWED_FAILURES, TorchThreads, connect, dashboard_link, hosts
from emohelpers.corpus.manifest import Clip, metadata_columns
from emohelpers.corpus.persons import write_corpus_persons
from emohelpers.corpus.task import TaskSettings, failed_row, finished_row, one_line, run_clip
from emohelpers.corpus.worker_setup import DASK_LOG

log = logging.getLogger(__name__)

#: How long a run on an existing scheduler waits for its first worker, s.
WAIT_FOR_WORKERS_S = 120


@dataclass
class CorpusRun:
    """The outcome of `run_corpus`.

    Attributes:
        out_dir: the run's folder.
        rows: one row per clip (see `dataset.CLIP_DTYPES`), in manifest order.
        seconds: wall time of the run.
        dashboard: the Dask dashboard's address (None in-process or without bokeh).
        interrupted: the run stopped before every clip ran (rows of the rest: "pending").
    """

    out_dir: Path
    rows: list[dict[str, Any]]
    seconds: float
    dashboard: str | None = None
    interrupted: bool = False
    workers: int = 0
    metadata: list[str] = field(default_factory=list)

    def count(self, status: str, skipped: bool | None = None) -> int:
        return sum(
            r["status"] == status and (skipped is None or bool(r.get("skipped")) == skipped)
            for r in self.rows
        )

    @property
    def ok(self) -> bool:
        """Every clip finished."""
        return all(r["status"] == "ok" for r in self.rows)

    def summary_line(self) -> str:
        """`N clips: a done, b skipped, c failed in S s (R clips/min)[; r of the done from
        analyses saved earlier]`: a clip done by reusing a saved analysis (only its
        partitions, report and row made now) is counted apart, so a rerun never reads as new
        analyses."""
        ran = self.count("ok", skipped=False)
        rate = 60 * (ran + self.count("failed")) / self.seconds if self.seconds > 0 else 0.0
        pending = self.count("pending")
        reused = sum(
            r["status"] == "ok" and bool(r.get("reused")) and not r.get("skipped")
            for r in self.rows
        )
        return (
            f"{len(self.rows)} clip(s): {ran} done, {self.count('ok', skipped=True)} "
            f"skipped, {self.count('failed')} failed"
            + (f", {pending} not run (interrupted)" if pending else "")
            + f" in {self.seconds:.1f} s ({rate:.1f} clips/min)"
            + (f"; {reused} of the done from analyses saved earlier" if reused else "")
        )


def _error_row(clip: Clip, exc: BaseException) -> dict[str, Any]:
    if type(exc).__name__ == "KilledWorker":
        reason = (
            f"the worker process died {ALLOWED_FAILURES + 1} times while analysing it "
            "(KilledWorker: out of memory or a crash in a native library?)"
        )
    else:
        reason = one_line(f"{type(exc).__name__}: {exc}", clip.video)
    return failed_row(clip, reason)


def run_corpus(
    clips: Sequence[Clip],
    out_dir: str | Path,
    settings: TaskSettings | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    torch_threads: int | None = None,
    max_in_flight: int | None = None,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    on_start: Callable[[Any], None] | None = None,
) -> CorpusRun:
    """Run every clip and write the corpus: clip folders, the dataset, `clips.parquet`.

    Args:
        clips: the corpus (see `manifest.read_inputs`).
        out_dir: the run's folder (see `dataset` for its layout).
        settings: analysis and report settings shared by all clips.
        workers: local worker processes (default: sized to the machine; 0: in-process).
        scheduler: a Dask scheduler address; default `$DASK_SCHEDULER_ADDRESS`, else local.
        torch_threads: torch threads per local worker (default: cores / workers).
        max_in_flight: clips submitted at a time (default: twice the worker threads).
        progress: show a progress bar (done / failed / skipped, rate, ETA).
        on_result: called with each clip's row as it finishes.
        on_start: called with the Dask client once connected (the dashboard, tests).

    Returns:
        A `CorpusRun`; `clips.parquet` is written also when the run is interrupted.

    Raises:
        ParameterError: for workers < 0 or an empty corpus.
    """
    settings = settings or TaskSettings()
    if workers is not None and workers < 0:
        raise ParameterError(f"workers={workers}: must be >= 0 (0 runs in this process)")
    if not clips:
        raise ParameterError("no clips to run; give video files, folders or a CSV manifest")
    load_cast(settings.analysis)  # a bad cast: one line before any clip runs
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = metadata_columns(clips)
    t0 = time.perf_counter()
    rows: dict[str, dict[str, Any]] = {}
    run = CorpusRun(out_dir=out, rows=[], seconds=0.0, metadata=meta)
    bar = tqdm(total=len(clips), desc="corpus", unit="clip", disable=not progress)

    def record(row: dict[str, Any]) -> None:
        rows[row["clip"]] = row
        bar.update(1)
        bar.set_postfix(
            done=sum(r["status"] == "ok" for r in rows.values()),
            failed=sum(r["status"] == "failed" for r in rows.values()),
            skipped=sum(bool(r.get("skipped")) for r in rows.values()),
        )
        if on_result:
            on_result(row)

    disk_full = False
    local = scheduler is None and not os.environ.get("DASK_SCHEDULER_ADDRESS") and workers == 0
    try:
        todo = []  # finished clips are skipped here: no cluster for a corpus already done
        for clip in clips:
            done = finished_row(clip, out, settings)
            if done is not None:
                log.info("%s: finished earlier with the same settings; skipped", clip.name)
                record(done)
            else:
                todo.append(clip)
        if local:
            for clip in todo:
                record(run_clip(clip, out, settings))
        elif todo:
            run.dashboard, run.workers = _run_dask(
                todo,
                out,
                settings,
                record,
                workers=workers,
                scheduler=scheduler,
                torch_threads=torch_threads,
                max_in_flight=max_in_flight,
                on_start=on_start,
            )
    except KeyboardInterrupt:
        run.interrupted = True
        raise
    except OSError as exc:  # a full disk stops the run: its error, not the table's after it
        disk_full = is_disk_full(exc)
        raise
    finally:
        bar.close()
        run.rows = [
            rows.get(c.name)
            or {"clip": c.name, "video": str(c.video), "status": "pending", **c.metadata}
            for c in clips
        ]
        run.interrupted = run.interrupted or any(r["status"] == "pending" for r in run.rows)
        if not run.interrupted:
            gone = dataset.prune_partitions(
                out, [r["clip"] for r in run.rows if r["status"] == "ok"]
            )
            if gone:
                log.info(
                    "removed %d partition(s) of clips not finished in this run: %s",
                    len(gone),
                    gone[:5],
                )
        try:
            dataset.write_clips(out, run.rows, meta)
        except OSError as exc:
            if not (disk_full and is_disk_full(exc)):
                raise
        run.seconds = time.perf_counter() - t0
    if not run.interrupted:  # the same face across clips: from the saved person tables
        t1 = time.perf_counter()
        write_corpus_persons(out, [r["clip"] for r in run.rows if r["status"] == "ok"])
        run.seconds += time.perf_counter() - t1
    return run


def _run_dask(
    clips, out, settings, record, *, workers, scheduler, torch_threads, max_in_flight, on_start
) -> tuple[str | None, int]:
    """The Dask path of `run_corpus`; returns (dashboard link, worker threads)."""
    client, cluster = connect(workers, scheduler, torch_threads, log_path=out / DASK_LOG)
    try:
        if cluster is None:
            try:
                client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
            except TimeoutError as exc:
                raise ParameterError(
                    f"Dask scheduler {client.scheduler.address}: no worker joined in "
                    f"{WAIT_FOR_WORKERS_S} s; fix: start workers with `dask worker "
                    f"{client.scheduler.address}` on machines that see the same paths"
                ) from exc
        per_host = hosts(client)
        if cluster is None:  # a remote cluster: threads per host from the workers there
            client.register_plugin(TorchThreads(per_host))
        else:
            client.register_plugin(TorchThreads(dict.fromkeys(per_host, sum(per_host.values()))))
        threads = sum(per_host.values()) or 1
        dashboard = dashboard_link(client)
        if dashboard:
            log.debug("Dask dashboard: %s", dashboard)
        if on_start:
            on_start(client)
        futures: dict[Any, Clip] = {}
        for clip in [c for c in clips if c.problem]:
            record(failed_row(clip, clip.problem))
        todo: Iterator[Clip] = (c for c in clips if not c.problem)

        def submit(clip: Clip):
            fut = client.submit(
                run_clip, clip, out, settings, pure=False, key=f"emohelpers-clip-{uuid.uuid4().hex}"
            )
            futures[fut] = clip
            return fut

        queue = as_completed()

        def top_up() -> None:
            # Workers may join (or leave) a running cluster: the bound follows them.
            limit = max_in_flight or 2 * max(1, sum(client.nthreads().values()))
            for _, clip in zip(range(limit - len(futures)), todo, strict=False):
                queue.add(submit(clip))

        top_up()
        try:
            for fut in queue:
                clip = futures.pop(fut)
                if fut.status == "finished":
                    record(fut.result())
                elif fut.status == "error":
                    if is_disk_full(fut.exception()):  # stop: the rest is cancelled below
                        raise fut.exception()
                    record(_error_row(clip, fut.exception()))
                else:  # cancelled or lost: not the clip's fault
                    record(failed_row(clip, f"its task was {fut.status} by the cluster; rerun"))
                fut.release()
                top_up()
        finally:
            if futures:
                client.cancel(list(futures))
        return dashboard, threads
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
