"""A saved analysis meets its video: the file frames are read back from must be the one the
analysis was made from. The provenance records its size and sha256; the size is compared
first, the sha256 once per process per (path, size, mtime) (`video_sha256`, also the cache
key's hash in `pipeline.cache_key`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from emohelpers.analysis.media import check_media_file
from emohelpers.core.assets import sha256_file
from emohelpers.core.errors import VideoReadError

_HASHES: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def video_sha256(path: str | Path) -> str:
    """The sha256 of a file, computed once per process per (path, size, mtime)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _LOCK:
        known = _HASHES.get(key)
    if known is None:
        known = sha256_file(p)
        with _LOCK:
            _HASHES[key] = known
    return known


def matching_video(video_block: dict[str, Any], video: str | Path | None = None) -> Path:
    """The video to read a saved analysis's frames from, checked against its provenance.

    Args:
        video_block: the provenance's `video` block (path, size_bytes, sha256).
        video: the video file; default the provenance's path.

    Returns:
        The file, once its size and sha256 are those recorded (a block without them, e.g.
        a bare table's, is not checked).

    Raises:
        VideoReadError: the file is missing, not a file, or not the analysed video.
    """
    p = check_media_file(video or video_block.get("path") or "", VideoReadError, "a video file")
    size, sha = video_block.get("size_bytes"), video_block.get("sha256")
    differs = (size is not None and p.stat().st_size != size) or (
        bool(sha) and video_sha256(p) != sha
    )
    if differs:
        raise VideoReadError(
            f"{p}: not the video this analysis was made from (its size or sha256 differs "
            "from the provenance's; the file was replaced or changed); re-analyse it "
            "(`emohelpers analyze VIDEO --out DIR`) or pass the original video"
        )
    return p
