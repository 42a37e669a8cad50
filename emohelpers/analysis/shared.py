"""The open video sources of this process: `shared_source(path)` keeps the few most
recently used `VideoSource`s open, so that one report (the analysis, its sections, reels and
annotated video) decodes from one open file. (Classifiers: `analyzer.shared_classifier`.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from emohelpers.analysis.media import check_media_file
from emohelpers.analysis.source import VideoSource
from emohelpers.core.errors import VideoReadError

#: Sources kept open by `shared_source` (least recently used dropped first).
SHARED_SOURCES = 4

_SHARED: OrderedDict[tuple, VideoSource] = OrderedDict()
_SHARED_LOCK = threading.Lock()


def shared_source(path: str | Path) -> VideoSource:
    """The open source of `path` in this process (opened on first use, and again when the
    file changed); the `SHARED_SOURCES` most recently used stay open.

    Raises:
        VideoReadError: see `VideoSource`.
    """
    p = check_media_file(path, VideoReadError, "a video file")
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _SHARED_LOCK:
        source = _SHARED.get(key)
        if source is not None:
            _SHARED.move_to_end(key)
            return source
    source = VideoSource(p)
    with _SHARED_LOCK:
        _SHARED[key] = source
        while len(_SHARED) > SHARED_SOURCES:
            _SHARED.popitem(last=False)  # closed when nobody holds it any more
    return source
