"""The Dask cluster a corpus runs on, and what its workers get.

- `connect`: a client of a scheduler address, else of a `distributed.LocalCluster` sized to
  the machine (worker processes with one thread each, as many as cores and memory allow),
  listening on loopback only, its dashboard included.
- A local worker's variables (thread counts, `RUN_ENV`, and not Dask's
  `MALLOC_TRIM_THRESHOLD_=65536`) go to the worker process only, through the cluster's own
  `env` option: this process's environment is never changed (`_OwnEnvironmentNanny`).
- `TorchThreads`: the worker plugin that sets torch's intra-op threads per worker to the
  cores it may use, so that workers never oversubscribe a machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
from distributed import Client, LocalCluster, Nanny
from distributed.diagnostics.plugin import WorkerPlugin

from emohelpers.core.errors import ParameterError
from emohelpers.core.process_env import RUN_ENV
from emohelpers.corpus.task import set_task_torch_threads, undo_dask_malloc_trim
from emohelpers.corpus.worker_setup import DASK_LOG_ENV

log = logging.getLogger(__name__)

#: Peak memory of one worker analysing a clip (torch + a model + a batch of frames), bytes.
WORKER_MEMORY = int(1.5 * 2**30)
#: Times a worker may die on one clip before it is recorded as failed, beyond the first.
ALLOWED_FAILURES = 1
#: Seconds to reach a scheduler given by address before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5
TORCH_THREADS_ENV = "EMOHELPERS_TORCH_THREADS"
#: The one interface everything of a local cluster listens on.
LOOPBACK = "127.0.0.1"
_PARENT_MARK = "__DASK_PARENT_PID"


def machine_cores() -> int:
    """Cores this process may use (its CPU affinity, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cores: int | None = None, memory_bytes: int | None = None) -> int:
    """Worker processes for a local cluster: one per core, as many as memory allows."""
    cores = cores or machine_cores()
    if memory_bytes is None:
        try:
            memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            memory_bytes = cores * WORKER_MEMORY
    return max(1, min(cores, memory_bytes // WORKER_MEMORY))


class TorchThreads(WorkerPlugin):
    """Worker plugin: torch intra-op threads = the host's cores / its worker threads, and
    glibc's malloc thresholds where Dask's environment fixed them low (see
    `task.undo_dask_malloc_trim`).

    `$EMOHELPERS_TORCH_THREADS` on a worker (set for local clusters) overrides it.

    Args:
        workers_per_host: {host: worker threads on it} when registered.
    """

    name = "emohelpers-torch-threads"
    idempotent = True

    def __init__(self, workers_per_host: dict[str, int]) -> None:
        self.workers_per_host = dict(workers_per_host)

    def setup(self, worker: Any) -> None:
        import torch  # in the worker process, when it starts: the client needs no torch

        host = worker.address.rsplit(":", 1)[0]
        share = self.workers_per_host.get(host) or worker.state.nthreads
        threads = int(os.environ.get(TORCH_THREADS_ENV) or max(1, machine_cores() // share))
        torch.set_num_threads(threads)
        set_task_torch_threads(threads)
        log.info("worker %s: torch uses %d thread(s)", worker.address, threads)
        if undo_dask_malloc_trim():
            log.info("worker %s: glibc's malloc thresholds restored", worker.address)


def connect(
    workers: int | None,
    scheduler: str | None,
    threads: int | None,
    log_path: Path | None = None,
):
    """A Dask client (and the LocalCluster it owns, or None): the scheduler at `scheduler`
    (or `$DASK_SCHEDULER_ADDRESS`), else a local cluster of `workers` processes (default:
    sized to the machine) with `threads` torch threads each (default: cores / workers),
    which ignore Ctrl-C and write their log records to `log_path` (see `worker_setup`)."""
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        log.info("connecting to the Dask scheduler at %s", address)
        try:
            return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as exc:  # refused, unreachable, bad address
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ParameterError(
                f"scheduler {address}: cannot connect to a Dask scheduler there within "
                f"{CONNECT_TIMEOUT_S} s ({why}); check the address and that the scheduler "
                "runs, or leave out --scheduler (and $DASK_SCHEDULER_ADDRESS) for a local cluster"
            ) from None
    n = workers or default_workers()
    per_worker = threads or max(1, machine_cores() // n)
    config = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        # Not Dask's default MALLOC_TRIM_THRESHOLD_=65536, with which glibc maps and unmaps
        # every frame buffer and the analysis ran 2.2-2.4x slower (`TorchThreads` covers
        # workers started elsewhere); nor its thread counts of 1: see `worker_environment`.
        "distributed.nanny.pre-spawn-environ": {},
    }
    env = worker_environment(per_worker)
    if log_path is not None:
        env[DASK_LOG_ENV] = str(log_path)
    # Read while the cluster starts, then given back.
    with dask.config.set(config), _sigint_ignored_by_children():
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            # Loopback like the scheduler and workers (Dask's ":0" is every interface); the
            # README says how to reach it from another machine (`ssh -L`).
            dashboard_address=f"{LOOPBACK}:0",
            host=LOOPBACK,
            worker_class=_OwnEnvironmentNanny,
            env=env,
            preload=["emohelpers.corpus.worker_setup"],
            # Workers inherit the terminal's stderr: until their preload sends their records
            # to `log_path`, nothing of theirs reaches it (a clip's failure is in its row).
            silence_logs=logging.CRITICAL,
        )
    return Client(cluster), cluster


@contextlib.contextmanager
def _sigint_ignored_by_children() -> Iterator[None]:
    """While worker processes are spawned: SIGINT ignored here, a disposition that a
    spawned interpreter inherits and keeps, so that a Ctrl-C in the first moments of a
    worker (before its preload ignores it too) cannot kill it with a traceback. (The
    nannies spawn from Dask's event-loop thread, so a signal mask of this thread would not
    reach them.) A Ctrl-C in these few seconds is dropped; the next one is not."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def worker_environment(threads: int) -> dict[str, str]:
    """The variables a local worker process gets: its thread counts (torch, OpenMP, BLAS
    libraries loaded after it starts; the plugin sets torch's again) and `RUN_ENV`."""
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", TORCH_THREADS_ENV)
    return {**RUN_ENV, **dict.fromkeys(names, str(threads))}


class _OwnEnvironmentNanny(Nanny):
    """A nanny that gives its worker's variables to the worker process only.

    Dask's nanny writes its "pre-spawn" variables (and PYTHONHASHSEED) into the environment
    of the process it runs in, the client's for a local cluster, before each worker start.
    Here they go with the rest of `env`, which the worker process sets as it starts, before
    it loads torch. The one variable Dask still sets here, its mark of a parent process
    (`__DASK_PARENT_PID`, for the workers' process titles), is taken back once no worker
    of this process is starting: this process's environment is left as it was.
    """

    _starting = 0  # worker starts in flight, in this process (one event loop thread)
    _mark: str | None = None  # the mark's value before them

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pre_spawn_env = {}

    async def instantiate(self) -> Any:
        cls = _OwnEnvironmentNanny
        if not cls._starting:
            cls._mark = os.environ.get(_PARENT_MARK)
        cls._starting += 1
        try:
            return await super().instantiate()
        finally:
            cls._starting -= 1
            if not cls._starting:
                if cls._mark is None:
                    os.environ.pop(_PARENT_MARK, None)
                else:
                    os.environ[_PARENT_MARK] = cls._mark


def hosts(client: Any) -> dict[str, int]:
    """{host: worker threads on it} of the client's cluster."""
    hosts: dict[str, int] = {}
    for w in client.scheduler_info(n_workers=-1)["workers"].values():
        host = w["host"]
        hosts[host] = hosts.get(host, 0) + int(w.get("nthreads", 1))
    return hosts


def dashboard_link(client: Any) -> str | None:
    """The Dask dashboard's address, None without bokeh."""
    try:
        import bokeh  # noqa: F401  (the dashboard needs it)
    except ImportError:
        return None
    return client.dashboard_link
