"""A cast: named persons enrolled from reference photos, and the persons of a clip they match.

A cast folder holds one folder per person, named as the person is to be shown, with one or
more photos of their face: `CAST/<name>/<photo>.jpg|jpeg|png`. Each photo's largest face is
found by the analysis's own face detector and described by re-identification's dlib
descriptor (`reid.FaceEmbedder`); a clip's person gets a name when their mean descriptor
(`analysis.person_table`) lies within `cast_max_distance` of one of that name's photos.
Two persons seen in one frame never get the same name (the nearer one does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

from emohelpers.analysis.person_table import descriptors_of
from emohelpers.analysis.tracking.reid import FaceEmbedder, face_crop
from emohelpers.core.assets import sha256_file
from emohelpers.core.errors import CastError

log = logging.getLogger(__name__)

PHOTO_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png")
_LAYOUT = "CAST/<name>/<photo>.jpg|png (one folder per person, one or more photos each)"


def cast_photos(folder: str | Path) -> dict[str, list[Path]]:
    """Name -> its photos, sorted, from a cast folder.

    Raises:
        CastError: the folder is missing, holds no person folder, or a person's folder
            holds no photo; the message names the folder and the layout.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise CastError(f"cast {root}: not a folder; expected {_LAYOUT}")
    people = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not people:
        raise CastError(f"cast {root}: no person folder in it; expected {_LAYOUT}")
    out: dict[str, list[Path]] = {}
    for person in people:
        photos = sorted(
            p
            for p in person.iterdir()
            if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith(".")
        )
        if not photos:
            raise CastError(
                f"cast {person}: no photo in it (.jpg, .jpeg or .png); add one of "
                f"{person.name}'s face or remove the folder"
            )
        out[person.name] = photos
    return out


def cast_key(folder: str | Path | None) -> dict[str, Any] | None:
    """What decides a cast's names: its photos by `<name>/<file>` and their sha256 (no model
    needed); None for no cast.

    Raises:
        CastError: see `cast_photos`.
    """
    if folder is None:
        return None
    photos = cast_photos(folder)
    return {f"{name}/{p.name}": sha256_file(p) for name, paths in photos.items() for p in paths}


def read_photo(path: Path) -> np.ndarray:
    """A photo as (h, w, 3) uint8 RGB, upright as its EXIF orientation says.

    Raises:
        CastError: the file cannot be read as an image.
    """
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise CastError(
            f"cast photo {path}: unreadable as an image ({type(exc).__name__}); replace it "
            "with a JPEG or PNG of the person's face"
        ) from exc


@dataclass(frozen=True)
class Cast:
    """Enrolled reference faces.

    Attributes:
        folder: the cast folder.
        names: (k,) the name of each reference face.
        photos: (k,) each reference face's photo, `<name>/<file>`.
        descriptors: (k, 128) float64 dlib descriptors.
        key: `cast_key(folder)`.
    """

    folder: Path
    names: tuple[str, ...]
    photos: tuple[str, ...]
    descriptors: np.ndarray
    key: dict[str, Any]

    def __post_init__(self) -> None:
        if self.descriptors.shape != (len(self.names), 128):
            raise ValueError(
                f"Cast.descriptors: expected shape ({len(self.names)}, 128), "
                f"got {self.descriptors.shape}"
            )


def enrol_cast(folder: str | Path, detector: Any, embedder: FaceEmbedder) -> Cast:
    """Enrol every photo of a cast folder: its largest face, described.

    Args:
        folder: the cast folder (`CAST/<name>/<photo>`).
        detector: a `detect.FaceDetector` (its `min_det_prob` applies).
        embedder: dlib's face descriptor.

    Raises:
        CastError: a bad folder (see `cast_photos`), an unreadable photo, or a photo in
            which no face is found; the message names the file.
    """
    photos = cast_photos(folder)
    min_prob = float(detector.settings.min_det_prob)
    names, files, crops, boxes = [], [], [], []
    for name, paths in photos.items():
        for path in paths:
            rgb = read_photo(path)
            found = detector.detect([rgb])[0]
            keep = np.flatnonzero(found.det_prob >= min_prob)
            if not len(keep):
                raise CastError(
                    f"cast photo {path}: no face found; use a photo where {name}'s face is "
                    f"clear and at least {detector.settings.min_face_px} px wide"
                )
            if len(keep) > 1:
                log.info("cast photo %s: %d faces, the largest is %s", path, len(keep), name)
            crop, box = face_crop(rgb, found.xyxy[keep[0]])
            names.append(name)
            files.append(f"{name}/{path.name}")
            crops.append(crop)
            boxes.append(box)
    descriptors = embedder.embed(crops, np.array(boxes))
    key = {f: sha256_file(Path(folder).expanduser() / f) for f in files}
    return Cast(Path(folder).expanduser(), tuple(names), tuple(files), descriptors, key)


def match_cast(
    persons: pd.DataFrame, cast: Cast, max_distance: float
) -> dict[int, tuple[str, float]]:
    """The name each person of a clip matches, with its distance.

    A person's distance to a name is the smallest distance of their descriptor to one of
    that name's reference faces; pairs are taken nearest first, and a name never goes to
    two persons seen in one frame.

    Args:
        persons: the clip's person table (`analysis.person_table`).
        cast: the enrolled cast.
        max_distance: largest descriptor distance that names.

    Returns:
        person id -> (name, distance), only for the persons named.
    """
    ids, desc = descriptors_of(persons)
    if not len(ids) or not len(cast.names):
        return {}
    dist = np.sqrt(((desc[:, None, :] - cast.descriptors[None, :, :]) ** 2).sum(-1))
    names = sorted(set(cast.names))
    per_name = np.stack(
        [dist[:, [i for i, n in enumerate(cast.names) if n == name]].min(1) for name in names],
        axis=1,
    )
    seen_with = {
        int(p): {int(q) for q in w}
        for p, w in zip(persons["person"], persons["seen_with"], strict=True)
    }
    out: dict[int, tuple[str, float]] = {}
    for flat in np.argsort(per_name, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, per_name.shape)
        d, person, name = float(per_name[i, j]), int(ids[i]), names[j]
        if d >= max_distance:
            break
        if person in out:
            continue
        if any(out.get(q, ("",))[0] == name for q in seen_with.get(person, set())):
            continue
        out[person] = (name, d)
    return out
