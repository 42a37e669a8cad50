"""The face detector's and the tracker's settings: two parts of `AnalysisSettings`.

Each field is declared once, by its `core.spec.Setting` (kind, default, range, unit, help,
flag, cache key); the checks, the command-line options, the notebook comments and the
README's table come from these declarations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from emohelpers.core.errors import ParameterError
from emohelpers.core.spec import check_fields, is_number, setting, specs_of

#: dlib face-descriptor distance below which two tracks are the same person (the mean
#: descriptor of each track's faces). dlib's own LFW threshold; on the sample clips, means of
#: 3 faces of one person lie within 0.58 of each other, of two persons 0.74 or more apart
#: (`benchmarks/tracking.py` prints these figures).
REID_MAX_DISTANCE = 0.6
#: Distance below which a person's mean descriptor matches one reference photo of a cast
#: member. Measured on the sample clips and two altered copies (7 persons, 6 photos of single
#: frames; benchmarks/persons.py): a photo lies within 0.50 of its person's mean in every clip
#: they are in, and 0.79 or more from every other person's; dlib's LFW threshold sits between.
CAST_MAX_DISTANCE = 0.6
#: Distance below which two persons of different clips are one `corpus_person` (average
#: linkage of person means, never two persons seen in one frame). Measured the same way:
#: one person's means in different clips lie within 0.47 of each other, two persons' 0.78
#: or more apart; the threshold leans to the near side, as a corpus holds many more
#: strangers than one clip.
CORPUS_MAX_DISTANCE = 0.55


def _cast_folder(value: Any) -> str:
    text = str(value).strip() if isinstance(value, str | Path) else ""
    if not text:
        raise ValueError(value)
    return str(Path(text).expanduser().absolute())


def _thresholds(value: Any) -> tuple[float, float, float]:
    if not (isinstance(value, list | tuple) and len(value) == 3):
        raise ValueError("three numbers")
    if not all(is_number(t) and 0 < t < 1 for t in value):
        raise ValueError("three numbers in (0, 1)")
    return (float(value[0]), float(value[1]), float(value[2]))


@dataclass(frozen=True)
class DetectorSettings:
    """MTCNN settings, all recorded in the provenance (each field's meaning: its `Setting`,
    `DetectorSettings.spec()`, the README's settings table).

    Cost and the smallest face found: P-Net scans an image pyramid whose largest level is
    the frame scaled by 12 / min_face_px, so detection time grows with
    (frame side / min_face_px)^2; frames above `max_side_px` are searched at that size, so
    the smallest face found is max(min_face_px, 12 * longer side / max_side_px) source
    pixels. The defaults leave frames up to 960 px (all the sample clips) at full size,
    find faces from 40 px, and bound the memory of HD and 4K batches; for HD video whose
    faces are large, a larger min_face_px (e.g. 120) is 2x faster (docs/benchmark.md).
    """

    min_face_px: int = setting(
        "int",
        40,
        "smallest face side to find, source pixels (MTCNN's cell is 12)",
        low=12,
        unit="px",
        cache=True,
    )
    thresholds: tuple[float, float, float] = setting(
        "value",
        (0.6, 0.7, 0.7),
        "MTCNN's three stage thresholds (P-Net, R-Net, O-Net)",
        allowed_text="three numbers in (0, 1)",
        parse=_thresholds,
        cli=None,
        cache=True,
    )
    factor: float = setting(
        "float",
        0.709,
        "scale step of the detector's image pyramid",
        low=0,
        high=1,
        low_open=True,
        high_open=True,
        cli=None,
        cache=True,
    )
    min_det_prob: float = setting(
        "float", 0.9, "drop faces the detector is less sure of", low=0, high=1, cache=True
    )
    margin: float = setting(
        "float",
        0.1,
        "crop margin around each face box, a fraction of its longer side",
        low=0,
        high=1,
        cli=None,
        cache=True,
    )
    max_side_px: int | None = setting(
        "int",
        960,
        "frames whose longer side exceeds this are downscaled to it for detection "
        "(boxes stay in source pixels)",
        low=32,
        none="full size",
        unit="px",
        allowed_text="an integer >= 32, or 0 or None: full size",
        cache=True,
    )

    def __post_init__(self) -> None:
        if isinstance(self.thresholds, list):
            object.__setattr__(self, "thresholds", tuple(self.thresholds))
        if is_number(self.max_side_px) and self.max_side_px == 0:  # the CLI's "full size"
            object.__setattr__(self, "max_side_px", None)
        check_fields(self, self.spec())

    @classmethod
    def spec(cls) -> tuple:
        """The declared settings, flat names."""
        return specs_of(cls, group="detector")


@dataclass(frozen=True)
class TrackerSettings:
    """How faces become persons: shots, tracks, re-identification (`analysis.tracking`);
    each field's meaning: its `Setting` (`TrackerSettings.spec()`, the README's table)."""

    iou_min: float = setting(
        "float",
        0.2,
        "smallest overlap of a track's motion-predicted box and a face box that "
        "continues the track",
        low=0,
        high=1,
        low_open=True,
        cache=True,
    )
    max_gap_s: float = setting(
        "float", 1.0, "a face unseen this long keeps its track...", low=0, unit="s", cache=True
    )
    max_gap_frames: int = setting(
        "int",
        3,
        "...or this many analysed-frame intervals, whichever is longer (a still "
        "face keeps its track at any sampling rate)",
        low=0,
        cache=True,
    )
    shot_threshold: float = setting(
        "float",
        27.0,
        "mean change of hue, saturation and brightness (0-255) between two "
        "decoded frames that makes a cut",
        low=0,
        low_open=True,
        cache=True,
    )
    min_shot_s: float = setting(
        "float",
        0.5,
        "shortest shot: a change sooner than this after a cut starts none",
        low=0,
        unit="s",
        cache=True,
    )
    reid: bool = setting(
        "bool",
        True,
        "merge tracks of the same face (across cuts, re-entries and broken "
        "tracks) into one person by face appearance",
        cli=("--no-reid",),
        cache=True,
    )
    reid_max_distance: float = setting(
        "float",
        REID_MAX_DISTANCE,
        "largest face-descriptor distance at which tracks merge "
        f"({REID_MAX_DISTANCE} is calibrated)",
        low=0,
        high=2,
        low_open=True,
        high_open=True,
        cache=True,
    )
    reid_faces: int = setting(
        "int",
        3,
        "faces per track embedded for re-identification (the most confident, largest)",
        low=1,
        cli=None,
        cache=True,
    )
    # Names come from the saved person table: a new cast re-names, never re-analyses.
    cast: str | None = setting(
        "value",
        None,
        "folder of reference photos, CAST/<name>/<photo>.jpg|png: persons whose face matches "
        "one get that name",
        none="nobody named",
        allowed_text="a folder of one folder of photos per person, or None: nobody named",
        parse=_cast_folder,
    )
    cast_max_distance: float = setting(
        "float",
        CAST_MAX_DISTANCE,
        "largest face-descriptor distance at which a person gets a cast member's name "
        f"({CAST_MAX_DISTANCE} is calibrated)",
        low=0,
        high=2,
        low_open=True,
        high_open=True,
    )

    def __post_init__(self) -> None:
        check_fields(self, self.spec())
        if self.cast is not None and not self.reid:
            raise ParameterError(
                f"cast={self.cast!r} with reid=False: a cast is matched with "
                "re-identification's face descriptors; drop --no-reid (reid=False) or the cast"
            )

    @classmethod
    def spec(cls) -> tuple:
        """The declared settings, flat names."""
        return specs_of(cls, group="tracker")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)
