"""What a local corpus worker process does as it starts (a Dask preload, `dask_setup`).

- It ignores SIGINT: a terminal's Ctrl-C reaches every process of its group, and the client
  alone decides what an interrupt means (cancel, close the cluster, one line, exit 130); a
  worker that took it as its own would die with a traceback and leave semaphores behind.
- Its log records (Dask's and ours) go to the corpus run's `dask.log`
  (`$EMOHELPERS_DASK_LOG`) instead of the terminal's stderr, which it inherits.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

#: The corpus run's Dask log (nannies' and workers' records), in its output folder.
DASK_LOG = "dask.log"
#: The variable naming the file a worker's log records go to (set by `cluster.connect`).
DASK_LOG_ENV = "EMOHELPERS_DASK_LOG"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [worker %(process)d]: %(message)s"


def dask_setup(worker: Any) -> None:
    """Called by Dask in the worker process, on its main thread, before any task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path = os.environ.get(DASK_LOG_ENV)
    if not path:
        return
    handler = logging.FileHandler(path, delay=True)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in ("distributed", "emohelpers"):
        logger = logging.getLogger(name)
        # Dask's stderr handlers out; its "silence_logs" level (set before this runs) too.
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
