"""Named and linked persons (issue 21): the distances `cast_max_distance` and the corpus
linking threshold are calibrated on, and what keeping every person's descriptor costs.

    .venv/bin/python benchmarks/persons.py

Clips: the sample clips (the woman of WolfgangLanger_Pexels, the man of single_face,
face_noface and noface_face, nobody in no_face) and two altered copies (the woman 12-18 s
into her clip, and the two side by side in one frame). Cast photos: single frames of each,
cropped as `tests/cast_media.cast_photo` does. Prints a human table, then one JSON object.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emohelpers.analysis.analyzer import Analyzer  # noqa: E402
from emohelpers.analysis.person_table import descriptors_of  # noqa: E402
from emohelpers.analysis.tracking.cast import enrol_cast  # noqa: E402
from emohelpers.core.assets import sample_clip  # noqa: E402
from emohelpers.core.part_settings import CAST_MAX_DISTANCE, CORPUS_MAX_DISTANCE  # noqa: E402
from tests.cast_media import altered_clips, cast_photo  # noqa: E402

#: Who is in which clip (person ids of the analysis at every_n 6).
WHO = {
    "WolfgangLanger_Pexels": {1: "woman"},
    "woman_later": {1: "woman"},
    "single_face": {1: "man"},
    "face_noface": {1: "man"},
    "noface_face": {1: "man"},
}
SETTINGS = {"model": "mini-xception", "every_n": 6, "voice_enabled": False}


def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))


def main() -> dict:
    root = Path(tempfile.mkdtemp())
    folder = sample_clip().parent
    clips = {
        p.stem: p
        for p in (
            folder / n
            for n in (
                "WolfgangLanger_Pexels.mp4",
                "single_face.mp4",
                "face_noface.mov",
                "noface_face.mov",
                "no_face.mp4",
            )
        )
    } | altered_clips(folder, root / "clips")
    for t in (0.3, 1.2, 2.0):
        cast_photo(folder / "single_face.mp4", t, root / "cast" / "man" / f"{t}.png")
    for t in (1.0, 9.0, 17.0):
        cast_photo(folder / "WolfgangLanger_Pexels.mp4", t, root / "cast" / "woman" / f"{t}.png")
    on = Analyzer(progress=False, **SETTINGS)
    off = Analyzer(progress=False, reid=False, **SETTINGS)
    cast = enrol_cast(root / "cast", on.detector, on._face_embedder())
    means, labels, costs = [], [], {}
    duo = None
    for name, path in clips.items():
        result = on(path)
        # tracking + re-identification time as the analysis records it (not wall time: the
        # machine is shared), with every track's descriptor against without re-identification
        plain = off(path).provenance.summary["tracking_seconds"]
        costs[name] = round(result.provenance.summary["tracking_seconds"] - plain, 3)
        ids, desc = descriptors_of(result.persons)
        if name == "duo":  # the woman is the left tile
            left = {
                int(p): float(result.table.loc[result.table["person"] == p, "x1"].mean())
                for p in ids
            }
            duo = {p: ("woman" if left[p] < 640 else "man") for p in left}
        who = duo if name == "duo" else WHO.get(name, {})
        for p, d in zip(ids, desc, strict=True):
            means.append(d)
            labels.append((name, who[int(p)]))
    x = np.array(means)
    person = np.array([w for _, w in labels])
    clip = np.array([c for c, _ in labels])
    photo = dist(x, cast.descriptors)
    same_photo = photo[person[:, None] == np.array(cast.names)[None]]
    other_photo = photo[person[:, None] != np.array(cast.names)[None]]
    pairs = dist(x, x)
    iu = np.triu_indices(len(x), 1)
    same = (person[:, None] == person[None])[iu] & (clip[:, None] != clip[None])[iu]
    other = (person[:, None] != person[None])[iu]
    out = {
        "persons": len(x),
        "photo_to_person_same_max": round(float(same_photo.max()), 3),
        "photo_to_person_other_min": round(float(other_photo.min()), 3),
        "cast_max_distance": CAST_MAX_DISTANCE,
        "person_to_person_same_max": round(float(pairs[iu][same].max()), 3),
        "person_to_person_other_min": round(float(pairs[iu][other].min()), 3),
        "corpus_max_distance": CORPUS_MAX_DISTANCE,
        "descriptor_cost_s_per_clip": costs,
    }
    print(
        f"cast photo -> person mean: same person <= {out['photo_to_person_same_max']}, other "
        f">= {out['photo_to_person_other_min']} (threshold {CAST_MAX_DISTANCE})\n"
        f"person mean -> person mean across clips: same <= {out['person_to_person_same_max']}, "
        f"other >= {out['person_to_person_other_min']} (threshold {CORPUS_MAX_DISTANCE})\n"
        f"re-identification with every person's descriptor, s per clip: {costs}"
    )
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
