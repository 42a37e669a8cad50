"""The Jupyter kernel a report notebook runs in, with its own output kept off the terminal.

A kernel process writes its application log to its stderr: "Kernel is running over TCP
without encryption" at every start, and, when a run is interrupted (Ctrl-C) while a cell
executes, a `ZMQError: Socket operation on non-socket` traceback as its sockets close under
it. Both went straight to the user's terminal; here they go to a log file in the clip's
folder (`kernel.log`), which `report.run` removes when the clip succeeds. What the
notebook's cells print is not affected: it reaches the notebook through the kernel's
messages. The kernel already runs in its own session, so Ctrl-C reaches only the
`emohelpers` process, which shuts the kernel down; what papermill, nbclient and asyncio log
while that interrupted run unwinds ("Kernel died", a task exception never retrieved) is
dropped (`quiet_after_interrupt`).
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode
from traitlets.config import Config

from emohelpers.core.process_env import child_environment

KERNEL_LOG = "kernel.log"


class LoggedKernelManager(AsyncKernelManager):
    """An `AsyncKernelManager` whose kernel process writes stdout and stderr to a file,
    `log_path` (appended to; "" keeps the terminal), started with `RUN_ENV` in its
    environment. nbclient makes it from `kernel_manager_class` and the client's `config`
    (see `kernel_options`)."""

    log_path = Unicode("", help="file for the kernel's own stdout and stderr").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw["env"] = child_environment(kw.get("env"))  # what its analysis needs (`RUN_ENV`)
        if not self.log_path:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        path = Path(self.log_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as log:  # the kernel keeps its own copy of the fd
            kw["stdout"] = kw["stderr"] = log
            return await super()._async_launch_kernel(kernel_cmd, **kw)


def kernel_options(log_path: str | Path) -> dict[str, Any]:
    """Keyword arguments for `papermill.execute_notebook` (passed on to nbclient) that run
    the kernel through `LoggedKernelManager` with its output in `log_path`."""
    config = Config({"LoggedKernelManager": {"log_path": str(log_path)}})
    return {"kernel_manager_class": LoggedKernelManager, "config": config}


class _AfterInterrupt(logging.Filter):
    """Drops every record once Ctrl-C was pressed (`interrupted` set by the handler)."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.interrupted


#: The loggers that report an interrupted notebook run's unwinding as errors.
_UNWINDING = ("papermill", "nbclient", "traitlets", "asyncio")


@contextmanager
def quiet_after_interrupt() -> Iterator[None]:
    """Within the block, Ctrl-C raises KeyboardInterrupt as usual and from then on silences
    the notebook machinery's logging (and the root handlers present), so that the user sees
    only the command's own "interrupted" line. The filters and the SIGINT handler are the
    block's own: both are removed when it ends. Does nothing outside the main thread or where
    SIGINT is not Python's default handler (ignored, or the caller's own)."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or (
        previous is not signal.default_int_handler
    ):
        yield
        return
    quiet = _AfterInterrupt()
    targets = [*map(logging.getLogger, _UNWINDING), *logging.getLogger().handlers]
    for target in targets:
        target.addFilter(quiet)

    def on_sigint(signum: int, frame: Any) -> None:
        quiet.interrupted = True
        signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if quiet.interrupted:
            # asyncio reports the interrupted run's lost tasks when they are freed: free
            # them now, while its records are still dropped.
            gc.collect()
        for target in targets:
            target.removeFilter(quiet)
