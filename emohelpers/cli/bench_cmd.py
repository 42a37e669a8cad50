"""`emohelpers bench`: the speed and memory benchmark (see docs/benchmark.md)."""

from __future__ import annotations

import argparse

from emohelpers.cli.bench import add_arguments, run
from emohelpers.cli.bench_table import print_summary


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="measure analysis, rendering and report speed and memory on the sample clip",
        description="Each measurement runs in its own child process; a human table, then "
        "one JSON object as the last line. Same as `python benchmarks/run.py`.",
    )
    add_arguments(p)
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    print_summary(run(args))
    return 0
