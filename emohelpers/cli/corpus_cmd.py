"""`emohelpers corpus`: many clips on Dask, one corpus dataset and a corpus report."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from emohelpers.cli.analyze_cmd import add_sampling_args, settings_from_args
from emohelpers.cli.setting_options import add_option
from emohelpers.core.spec import by_name
from emohelpers.corpus.worker_setup import DASK_LOG
from emohelpers.report.parameters import REPORT_SPEC


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "corpus",
        help="analyse a corpus of clips in parallel (Dask): dataset, clips table, report",
        description="Analyse every clip (video files, folders searched recursively, CSV "
        "manifests with a 'video' column and metadata columns) as one Dask task each, on a "
        "local cluster sized to this machine or on a running scheduler. Writes DIR/clips/<clip>/, "
        "the Parquet dataset DIR/corpus/emotions/ (partitioned by clip), DIR/corpus/clips.parquet "
        "and the report DIR/corpus/index.html. Clips finished earlier with the same video and "
        "settings are skipped. Exit status 1 when any clip failed.",
    )
    p.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        metavar="VIDEO|DIR|CSV",
        help="videos, folders of videos, CSV manifests (default: the sample clips)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("outputs/corpus"),
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    add_sampling_args(p)
    p.add_argument("--batch-frames", type=int, default=16, help="frames per detector call")
    p.add_argument("--reports", action="store_true", help="also write each clip's HTML report")
    p.add_argument(
        "--transcript",
        action="store_true",
        help="also transcribe each clip's speech (transcript.parquet; off by default in corpus "
        "runs: Whisper's decoding runs at about 5x real time here, the voice channel at "
        "25-33x)",
    )
    p.add_argument(
        "--golden",
        type=Path,
        default=None,
        metavar="CSV",
        help="golden labels to score the corpus against (see `evaluate`)",
    )
    p.add_argument("--no-report", action="store_true", help="skip the corpus report")
    add_option(p, by_name(REPORT_SPEC)["valence_mapping"])
    e = p.add_argument_group("engine")
    e.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="local worker processes (default: one per core as memory allows; "
        "0: no cluster, clips one after another in this process)",
    )
    e.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="a running Dask scheduler, e.g. tcp://HOST:8786 (default: "
        "$DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    e.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        metavar="T",
        help="torch threads per local worker (default: cores / workers)",
    )
    p.set_defaults(func=run_corpus_cmd, input_checks={"inputs": "path", "golden": "file"})


def _line(row: dict) -> str:
    name = row["clip"]
    if row["status"] != "ok":
        return f"FAILED  {name}: {row.get('error')}"
    if row.get("skipped"):
        return f"skipped {name}: finished earlier with the same video and settings"
    who = f"{row.get('dominant')} ({row.get('verdict')})" if row.get("dominant") else "no face"
    return (
        f"ok      {name}: {row.get('frames_analysed')} frames, {row.get('persons')} "
        f"person(s), main person {who}, {row.get('seconds', 0):.1f} s"
    )


@contextlib.contextmanager
def dask_log_in(path: Path) -> Iterator[None]:
    """Within the block, Dask's own log records (its nannies' "Worker process still alive
    after 4.0 seconds, killing", workers' notices) go to `path` instead of the terminal;
    its handlers are given back after."""
    dask_logger = logging.getLogger("distributed")
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved, propagate = dask_logger.handlers[:], dask_logger.propagate
    dask_logger.handlers, dask_logger.propagate = [handler], False
    try:
        yield
    finally:
        dask_logger.handlers, dask_logger.propagate = saved, propagate
        handler.close()


def run_corpus_cmd(args: argparse.Namespace) -> int:
    # Dask, PyAV and the analysis load here, when the command runs, not at --help.
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.task import TaskSettings

    if not args.verbose:  # papermill's and distributed's INFO lines would drown the results
        for name in ("papermill", "distributed"):
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("bokeh").setLevel(logging.ERROR)  # its dashboard host notice
    args.voice_transcript = args.voice_transcript and args.transcript  # off unless asked
    settings = TaskSettings(
        analysis=settings_from_args(args),
        batch_frames=args.batch_frames,
        reports=args.reports,
        valence_mapping=args.valence_mapping,
    )
    if args.golden is not None:  # every input file is checked before any clip runs
        from emohelpers.report.evaluation_io import read_golden  # pandas: see above

        read_golden(args.golden)
    clips = read_inputs(args.inputs, exclude=args.out)

    def started(client) -> None:
        if client.dashboard_link:
            tqdm.write(f"Dask dashboard: {client.dashboard_link}")

    with dask_log_in(args.out / DASK_LOG):  # nanny and worker notices: the log, not here
        run = run_corpus(
            clips,
            args.out,
            settings,
            workers=args.workers,
            scheduler=args.scheduler,
            torch_threads=args.torch_threads,
            progress=not args.quiet,
            on_result=lambda r: tqdm.write(_line(r)),
            on_start=started,
        )
    print(run.summary_line() + f"; table: {args.out / 'corpus' / 'clips.parquet'}")
    if not args.no_report:
        # papermill: only for a report
        from emohelpers.corpus.report import kept_corpus_report, run_corpus_report

        ran = run.count("ok", skipped=False)  # failed rows that ran change the table too
        kept = None if ran else kept_corpus_report(args.out, golden=args.golden)
        if kept is not None:
            print(f"corpus report: {kept} (kept: same clips, parameters and golden file)")
        else:
            print(f"corpus report: {run_corpus_report(args.out, golden=args.golden)}")
    return 0 if run.ok else 1
