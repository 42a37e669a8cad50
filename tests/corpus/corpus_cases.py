"""The test corpus: copies of the sample clips, bad files and a manifest with metadata."""

from __future__ import annotations

import shutil
from pathlib import Path

from emohelpers.corpus.task import TaskSettings

FAST = TaskSettings(analysis={"model": "mini-xception", "every_n": 8})
GOOD = ["debate_a", "debate_b", "lecture_c"]


def make_corpus(folder: Path, sample_dir: Path) -> Path:
    """Three copies of a 2.4 s sample clip, a no-face clip, a corrupt and a zero-byte file,
    and a manifest naming them (metadata, relative paths, a missing file, a duplicate row)."""
    videos = folder / "videos"
    videos.mkdir(parents=True)
    for name in GOOD:
        shutil.copy(sample_dir / "single_face.mp4", videos / f"{name}.mp4")
    shutil.copy(sample_dir / "no_face.mp4", videos / "empty_room.mp4")
    (videos / "corrupt.mp4").write_bytes(b"this is not a video\n" * 100)
    (videos / "zero.mp4").write_bytes(b"")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "video,speaker,debate_id\n"
        "videos/debate_a.mp4,Ann,d1\n"
        "videos/debate_b.mp4,Bob,d1\n"
        "videos/lecture_c.mp4,Ann,\n"
        "videos/empty_room.mp4,,d2\n"
        "videos/corrupt.mp4,Cy,d2\n"
        "videos/zero.mp4,Cy,d2\n"
        "videos/gone.mp4,Dee,d3\n"
        "videos/debate_a.mp4,Ann,d1\n"
    )
    return manifest
