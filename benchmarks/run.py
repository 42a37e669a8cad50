"""Speed and memory benchmark of emohelpers on the sample clip (docs/benchmark.md).

    .venv/bin/python benchmarks/run.py            # everything, CPU (~10 minutes)
    .venv/bin/python benchmarks/run.py --quick    # one repetition, no 10-minute clip
    .venv/bin/python benchmarks/run.py --device cuda --skip-report --skip-render \\
        --skip-seed-loop --skip-long              # the GPU figures only

Prints a human table, then one JSON object as the last line.
"""

import sys

from emohelpers.cli.bench import main

if __name__ == "__main__":
    sys.exit(main())
