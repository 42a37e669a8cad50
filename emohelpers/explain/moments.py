"""Attribution maps of each person's strongest moments: decoded, explained in one batch, cached.

For each person and each emotion whose peak probability is above chance (1/7), the frame
where it peaks (`summaries.moments.strongest_moments`) is decoded, the face cropped as the analysis
cropped it, and all these faces explained in one batch: for each face, the emotions above
chance in it plus the moment's own. Maps are cached on disk, one compressed npz per face
keyed by the video's sha256, the frame, the box, the crop margin, the classifier (name and
revision) and the method, holding the crop too: a re-render decodes no video and runs no
model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from emohelpers.analysis.classifiers.base import Classifier
from emohelpers.analysis.detect import crop_faces
from emohelpers.analysis.frames import read_frames
from emohelpers.analysis.provenance import Provenance
from emohelpers.analysis.table import BOX_COLUMNS, CHANCE, EMOTIONS, Analysis
from emohelpers.core import assets
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import VideoReadError
from emohelpers.explain.methods import attribute, resize_maps
from emohelpers.figures.explanation import explanation_figure
from emohelpers.figures.theme import person_label
from emohelpers.summaries.moments import strongest_moments

log = logging.getLogger(__name__)

CACHE_VERSION = 1
DEFAULT_MARGIN = 0.1
#: The report's cache folder, inside its output folder.
CACHE_FOLDER = "explain-cache"


class ExplainedMoment(NamedTuple):
    """One person's strongest moment of one emotion, explained.

    Attributes:
        person: track id (float, as in the table).
        emotion: the emotion that peaks at this moment.
        time_s: the frame's time, seconds.
        figure: the face with the maps of the emotions above chance, the moment's first,
            titled like "P1 — fear at 12.3 s".
    """

    person: float
    emotion: str
    time_s: float
    figure: go.Figure


@dataclass(frozen=True)
class _Face:
    """One explained face: the crop, its probabilities and its maps at the model's input."""

    crop: np.ndarray  # (h, w, 3) uint8
    probs: np.ndarray  # (7,) float32
    emotions: tuple[str, ...]
    input_maps: np.ndarray  # (E, H, W) float32 in [0, 1]

    def maps_by_emotion(self) -> dict[str, np.ndarray]:
        maps = resize_maps(self.input_maps, self.crop.shape[:2])
        return dict(zip(self.emotions, maps, strict=True))


def moments_to_explain(
    table: pd.DataFrame,
    max_per_person: int = 7,
    min_prob: float = CHANCE,
    persons: list[float] | None = None,
) -> pd.DataFrame:
    """The strongest moments worth explaining: peak probability above `min_prob`.

    Args:
        table: the emotion table.
        max_per_person: at most this many moments per person, the most probable kept.
        min_prob: keep moments whose peak probability is strictly above this.
        persons: only these track ids (default: all).

    Returns:
        `strongest_moments` rows, per person (in `persons` order, else by id) most probable
        first.
    """
    moments = strongest_moments(
        table, persons=persons, min_prob=min_prob, per_person=max_per_person
    )
    return _most_probable_first(moments)


def _most_probable_first(moments: pd.DataFrame) -> pd.DataFrame:
    """Per person (in the given order), the most probable moment first."""
    parts = [
        m.sort_values("probability", ascending=False, kind="stable")
        for _, m in moments.groupby("person", sort=False)
    ]
    return pd.concat(parts, ignore_index=True) if parts else moments.reset_index(drop=True)


def _cache_path(folder: Path, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return folder / key["video_sha256"][:16] / f"{digest[:32]}.npz"


def _load(path: Path) -> _Face | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            return _Face(
                z["crop"],
                z["probs"],
                tuple(str(e) for e in z["emotions"]),
                z["input_maps"].astype(np.float32),
            )
    except (OSError, KeyError, ValueError) as exc:
        if path.exists():
            log.warning("%s: unreadable explanation cache file (%s); recomputing", path, exc)
        return None


def _save(path: Path, face: _Face) -> None:
    def write(tmp: Path) -> None:  # its name ends in .npz too: numpy adds no suffix
        np.savez_compressed(
            tmp,
            crop=face.crop,
            probs=face.probs,
            emotions=np.array(face.emotions),
            input_maps=face.input_maps.astype(np.float16),
        )

    atomic_write(path, write)


def _needed(probs: np.ndarray, own: set[str], min_prob: float) -> list[str]:
    """The emotions a face's figure shows: above `min_prob`, and the moments' own."""
    return [e for i, e in enumerate(EMOTIONS) if probs[i] > min_prob or e in own]


def _read_crops(
    video: Path,
    wanted: dict[tuple, tuple[int, np.ndarray]],
    margin: float,
) -> dict[tuple, np.ndarray]:
    """The face crops of `wanted` (key -> (frame, xyxy)), their frames decoded in one pass."""
    frames = {frame for frame, _ in wanted.values()}
    rgb = read_frames(video, frames)
    missing = sorted(frames - set(rgb))
    if missing:
        raise VideoReadError(
            f"{video}: frames {missing[:5]} of the emotion table are not in it; "
            "pass the video that was analysed"
        )
    return {k: crop_faces(rgb[frame], box[None], margin)[0] for k, (frame, box) in wanted.items()}


def explain_strongest_moments(
    video_path: str | Path,
    table: pd.DataFrame | Analysis,
    classifier: Classifier,
    *,
    method: str = "gradcam",
    max_per_person: int = 7,
    persons: list[float] | None = None,
    margin: float | None = None,
    min_prob: float = CHANCE,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> list[ExplainedMoment]:
    """Explain each person's strongest moment of each emotion above chance, in one batch.

    Args:
        video_path: the analysed video.
        table: its emotion table, or the `Analysis` (whose provenance gives the crop margin
            and the video's sha256).
        classifier: the classifier to explain (the analysis's, for faithful figures).
        method: "gradcam" | "occlusion" | "integrated-gradients".
        max_per_person: at most this many moments per person (the most probable).
        persons: only these track ids, in this order (default: all, by id).
        margin: crop margin around the face box (default: the provenance's, else 0.1).
        min_prob: moments (and panels) need a probability above this (default 1/7).
        cache_dir: folder of the cached maps (default: `<emohelpers cache>/explain`).
        use_cache: read and write the cache.

    Returns:
        One `ExplainedMoment(person, emotion, time_s, figure)` per moment, per person most
        probable first; empty when no face was found.
    """
    t0 = time.perf_counter()
    provenance = Provenance()
    if isinstance(table, Analysis):
        table, provenance = table
    if margin is None:
        margin = float(provenance.detector.get("margin", DEFAULT_MARGIN))
    moments = moments_to_explain(table, max_per_person, min_prob, persons)
    if moments.empty:
        return []
    video = Path(video_path)
    sha = provenance.video_sha256 or assets.sha256_file(video)
    folder = Path(cache_dir) if cache_dir is not None else assets.cache_dir() / "explain"

    # One face per (frame, box); several emotions may peak on the same face.
    keys: list[tuple[int, tuple[float, ...]]] = []
    own: dict[tuple[int, tuple[float, ...]], set[str]] = {}
    paths: dict[tuple[int, tuple[float, ...]], Path] = {}
    for m in moments.itertuples(index=False):
        box = tuple(round(float(getattr(m, c)), 2) for c in BOX_COLUMNS)
        k = (int(m.frame), box)
        if k not in own:
            keys.append(k)
            own[k] = set()
            key = {
                "v": CACHE_VERSION,
                "video_sha256": sha,
                "frame": k[0],
                "box": list(box),
                "margin": margin,
                "classifier": classifier.name,
                "revision": classifier.revision,
                "method": method,
            }
            paths[k] = _cache_path(folder, key)
        own[k].add(m.emotion)

    faces: dict[tuple, _Face] = {}
    if use_cache:
        for k in keys:
            face = _load(paths[k])
            if face is not None and set(_needed(face.probs, own[k], min_prob)) <= set(
                face.emotions
            ):
                faces[k] = face
    todo = [k for k in keys if k not in faces]
    if todo:
        crops = _read_crops(video, {k: (k[0], np.array(k[1])) for k in todo}, margin)
        batch = [crops[k] for k in todo]
        probs = classifier.predict(batch)
        wanted = [_needed(p, own[k], min_prob) for p, k in zip(probs, todo, strict=True)]
        width = max(len(w) for w in wanted)
        # One batch: every face gets `width` targets, short lists padded with their last.
        targets = [
            [EMOTIONS.index(e) for e in w] + [EMOTIONS.index(w[-1])] * (width - len(w))
            for w in wanted
        ]
        maps = attribute(classifier, classifier.preprocess(batch), targets, method)
        # Kept as the cache keeps them (float16), so that a re-render draws the same figures.
        maps = maps.astype(np.float16).astype(np.float32)
        for i, k in enumerate(todo):
            faces[k] = _Face(batch[i], probs[i], tuple(wanted[i]), maps[i, : len(wanted[i])])
            if use_cache:
                _save(paths[k], faces[k])
    log.info(
        "explained %d moments (%d faces, %d from the cache) with %s in %.2f s",
        len(moments),
        len(keys),
        len(keys) - len(todo),
        method,
        time.perf_counter() - t0,
    )

    out = []
    for m in moments.itertuples(index=False):
        face = faces[(int(m.frame), tuple(round(float(getattr(m, c)), 2) for c in BOX_COLUMNS))]
        title = f"{person_label(m.person)} — {m.emotion} at {m.time_s:.1f} s"
        fig = explanation_figure(
            face.crop,
            face.maps_by_emotion(),
            face.probs,
            title=title,
            min_prob=min_prob,
            first=m.emotion,
        )
        out.append(ExplainedMoment(float(m.person), str(m.emotion), float(m.time_s), fig))
    return out
