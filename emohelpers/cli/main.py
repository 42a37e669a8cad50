"""The `emohelpers` command line: one sub-command per job.

Errors of the `EmoError` family (and bad arguments) print one line and exit non-zero,
never a traceback. Every command's `--out` folder is made and checked writable before the
command starts (`core.output.ensure_out_dir`), so a bad one fails at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import NoReturn

from emohelpers.cli import (
    analyze_cmd,
    bench_cmd,
    corpus_cmd,
    evaluate_cmd,
    explain_cmd,
    export_cmd,
    report_cmd,
    voice_cmd,
)
from emohelpers.core.atomic import disk_full_message, is_disk_full
from emohelpers.core.errors import EmoError
from emohelpers.core.inputs import check_inputs
from emohelpers.core.output import ensure_out_dir
from emohelpers.core.process_env import run_environment
from emohelpers.core.version import __version__

log = logging.getLogger("emohelpers")

# Each module registers its sub-commands (and imports torch only when one runs).
_COMMAND_MODULES = (
    analyze_cmd,
    report_cmd,
    evaluate_cmd,
    explain_cmd,
    bench_cmd,
    voice_cmd,
    corpus_cmd,
    export_cmd,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every registered sub-command."""
    parser = _Parser(prog="emohelpers", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"emohelpers {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _COMMAND_MODULES:
        module.add_parser(sub)
    # -q/-v also after the sub-command; SUPPRESS keeps the top-level value when absent.
    for sp in sub.choices.values():
        sp.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=argparse.SUPPRESS,
            help="no progress bars or info",
        )
        sp.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging"
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        # the inputs first (before torch, before any folder is made), then --out
        check_inputs(args, getattr(args, "input_checks", {}))
        if getattr(args, "out", None) is not None:  # every --out is a folder: check it first
            ensure_out_dir(args.out)
        with run_environment():  # what the command's torch needs, given back after it
            return int(args.func(args) or 0)
    except EmoError as exc:
        print(f"emohelpers {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"emohelpers {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a write outside `atomic_write` (a library's own) on a full disk
        if not is_disk_full(exc):
            raise
        where = exc.filename or getattr(args, "out", None) or "the output folder"
        print(f"emohelpers {args.command}: error: {disk_full_message(where)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
