"""What a run needs in its process's environment, set for the run and given back after it.

Importing emohelpers changes nothing in the process. A command sets `RUN_ENV` for its own
duration (`run_environment`, around each CLI command); processes a run starts (notebook
kernels, corpus workers) get it in the environment they are started with
(`child_environment`), never through this process's `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

#: OpenMP threads that spin while waiting make torch's many small ops (MTCNN's per-face
#: resampling) up to 100x slower when another thread (our decoder) or process shares the
#: cores; passive waiting costs nothing measurable on big ops. OpenMP reads it when torch
#: loads, so it must be set before. A value the caller set is kept.
RUN_ENV: Mapping[str, str] = {"OMP_WAIT_POLICY": "PASSIVE"}


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with `RUN_ENV` where it is not set."""
    env = dict(os.environ if base is None else base)
    return {**RUN_ENV, **env}


@contextmanager
def run_environment() -> Iterator[None]:
    """`RUN_ENV` in `os.environ` (where not set) for the block; removed again after it."""
    added = {k: v for k, v in RUN_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key, value in added.items():
            if os.environ.get(key) == value:
                del os.environ[key]
