"""Clip folder names of a batch (`report`, `corpus`): each video's stem in safe characters,
unique in the batch and stable across reruns, so that no clip's folder is ever taken over by
another clip whose name maps to the same folder name (`a b.mp4` and `a_b.mp4`, `Clip.mp4`
and `clip.mp4` on a case-insensitive file system, one stem in two input folders).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from emohelpers.report.clip_status import read_status


def clip_source_id(video: str | Path) -> str:
    """8 hex digits of the sha256 of the video's resolved path: which file a folder is for
    (recorded in its `status.json` as `source`; never the path itself)."""
    return hashlib.sha256(str(Path(video).resolve()).encode()).hexdigest()[:8]


def safe_stem(video: Path) -> str:
    """The video's stem in the characters a folder name keeps everywhere."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", video.stem).strip("._") or "clip"


def clip_folders(videos: Sequence[Path], out_dir: str | Path | None = None) -> list[str]:
    """One folder name per video, unique in the batch (compared ignoring case) and stable.

    Where several videos map to one name, or `out_dir/<name>` already holds another video's
    clip, one keeps the plain name (the video the folder was made for, else one whose stem
    is the name exactly, else the first) and the others get "-" and `clip_source_id`: the
    same video always gets the same folder, whatever else the batch holds.

    Args:
        videos: the batch's videos.
        out_dir: the output folder whose existing clip folders are respected.
    """
    bases = [safe_stem(Path(v)) for v in videos]
    groups: dict[str, list[int]] = {}
    for i, base in enumerate(bases):
        groups.setdefault(base.lower(), []).append(i)
    names = list(bases)
    existing = _folders(out_dir)
    for key, members in groups.items():
        owner = _owner(members, videos, bases, existing.get(key))
        for i in members:
            if i != owner:
                names[i] = f"{bases[i]}-{clip_source_id(videos[i])}"
    taken: set[str] = set()
    for i, name in enumerate(names):  # the same file twice, or a stem that looks suffixed
        unique, k = name, 1
        while unique.lower() in taken:
            k += 1
            unique = f"{name}-{k}"
        taken.add(unique.lower())
        names[i] = unique
    return names


def _folders(out_dir: str | Path | None) -> dict[str, Path]:
    """The clip folders already in `out_dir`, by lower-case name (a case-insensitive file
    system holds one of `Clip` and `clip`; names differing only by case count as one)."""
    out = Path(out_dir) if out_dir is not None else None
    if out is None or not out.is_dir():
        return {}
    return {p.name.lower(): p for p in sorted(out.iterdir()) if read_status(p) is not None}


def _owner(
    members: list[int], videos: Sequence[Path], bases: list[str], folder: Path | None
) -> int | None:
    """The member that keeps the plain name; None when its folder is another video's."""
    if folder is not None:
        status = read_status(folder) or {}
        source, name = status.get("source"), status.get("video")
        if source:
            found = [j for j in members if clip_source_id(videos[j]) == source]
        else:  # a folder of an older version: known by its video's file name only
            found = [j for j in members if Path(videos[j]).name == name]
        found = [j for j in found if bases[j] == folder.name] or found
        return found[0] if found else None
    exact = [i for i in members if Path(videos[i]).stem == bases[i]]
    return exact[0] if exact else members[0]
