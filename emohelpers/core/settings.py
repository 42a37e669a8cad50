"""The settings that decide an analysis: one frozen object, the single home of their rules.

`AnalysisSettings` is built and validated once (from the command line, the Python API or the
report notebook's parameters) and then passed down; the cache key and the provenance are
made from it. It is torch-free so that the command line can show its defaults instantly.

Flat names (`every_n`, `min_face_px`, `max_gap_s`, ...) are how users write settings;
`AnalysisSettings.from_flat` maps them onto the nested object and refuses unknown names.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from emohelpers.core.errors import ParameterError
from emohelpers.core.voice_settings import VoiceSettings

DEVICES = ("auto", "cpu", "cuda")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _need(ok: bool, name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ParameterError(f"{name}={value!r}: invalid; allowed: {allowed}")


def check_sampling(every_n: int | None, fps: float | None) -> None:
    """The sampling rules: every n-th frame (an integer >= 1) or `fps` frames per second of
    video (a number > 0), not both; None for both means every frame.

    Raises:
        ParameterError: naming the value and what is allowed.
    """
    if every_n is not None and fps is not None:
        raise ParameterError(f"every_n={every_n} and fps={fps}: give one, not both")
    _need(every_n is None or (_is_int(every_n) and every_n >= 1), "every_n", every_n,
          "an integer >= 1, or None")  # fmt: skip
    _need(fps is None or (_is_num(fps) and fps > 0), "fps", fps, "a number > 0, or None")


@dataclass(frozen=True)
class DetectorSettings:
    """MTCNN settings, all recorded in the provenance.

    Attributes:
        min_face_px: smallest face side searched for, in source-frame pixels.
        thresholds: MTCNN's three stage thresholds (P-Net, R-Net, O-Net).
        factor: scale step of the image pyramid.
        min_det_prob: faces below this final confidence are dropped.
        margin: crop margin around each box, as a fraction of the box's longer side.
        max_side_px: frames are downscaled so their longer side is at most this before
            detection (boxes are mapped back to source pixels); None keeps full size.

    Cost and the smallest face found: P-Net scans an image pyramid whose largest level is
    the frame scaled by 12 / min_face_px, so detection time grows with
    (frame side / min_face_px)^2; frames above `max_side_px` are searched at that size, so
    the smallest face found is max(min_face_px, 12 * longer side / max_side_px) source
    pixels. The defaults leave frames up to 960 px (all the sample clips) at full size,
    find faces from 40 px, and bound the memory of HD and 4K batches; for HD video whose
    faces are large, a larger min_face_px (e.g. 120) is 2x faster (docs/benchmark.md).
    """

    min_face_px: int = 40
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    factor: float = 0.709
    min_det_prob: float = 0.9
    margin: float = 0.1
    max_side_px: int | None = 960

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", tuple(self.thresholds))
        if self.max_side_px == 0:  # the command line's "full size"
            object.__setattr__(self, "max_side_px", None)
        _need(_is_int(self.min_face_px) and self.min_face_px >= 12, "min_face_px",
              self.min_face_px, "an integer >= 12 (MTCNN's cell)")  # fmt: skip
        _need(len(self.thresholds) == 3 and all(_is_num(t) and 0 < t < 1 for t in self.thresholds),
              "thresholds", self.thresholds, "three numbers in (0, 1)")  # fmt: skip
        _need(_is_num(self.factor) and 0 < self.factor < 1, "factor", self.factor, "(0, 1)")
        _need(_is_num(self.min_det_prob) and 0 <= self.min_det_prob <= 1, "min_det_prob",
              self.min_det_prob, "a number in [0, 1]")  # fmt: skip
        _need(_is_num(self.margin) and 0 <= self.margin <= 1, "margin", self.margin,
              "a number in [0, 1]")  # fmt: skip
        _need(
            self.max_side_px is None or (_is_int(self.max_side_px) and self.max_side_px >= 32),
            "max_side_px",
            self.max_side_px,
            "an integer >= 32, or 0/None: full size",
        )


#: dlib face-descriptor distance below which two tracks are the same person (the mean
#: descriptor of each track's faces). dlib's own LFW threshold; on the sample clips, means of
#: 3 faces of one person lie within 0.58 of each other, of two persons 0.74 or more apart
#: (`benchmarks/tracking.py` prints these figures).
REID_MAX_DISTANCE = 0.6


@dataclass(frozen=True)
class TrackerSettings:
    """How faces become persons: shots, tracks, re-identification (`analysis.tracking`).

    Attributes:
        iou_min: smallest overlap between a track's motion-predicted box and a face box
            for the face to continue the track.
        max_gap_s: a track without a face survives this many seconds...
        max_gap_frames: ...or this many analysed-frame intervals, whichever is longer, so a
            still face keeps its track at any sampling rate (every_n 30, fps 0.5).
        shot_threshold: cut detection: mean change between two consecutive decoded frames
            of hue, saturation and brightness on 64x36 thumbnails (0-255 scale) above which
            a new shot starts (PySceneDetect's ContentDetector default is 27).
        min_shot_s: shortest shot, seconds: a change sooner than this after a cut (a flash,
            a fast pan) does not start another shot.
        reid: whether tracks of the same face (across cuts, re-entries and broken tracks)
            are merged into one person by face appearance (dlib's face descriptor).
        reid_max_distance: largest face-descriptor distance at which two tracks merge.
        reid_faces: faces per track embedded (the most confident, largest ones).
    """

    iou_min: float = 0.2
    max_gap_s: float = 1.0
    max_gap_frames: int = 3
    shot_threshold: float = 27.0
    min_shot_s: float = 0.5
    reid: bool = True
    reid_max_distance: float = REID_MAX_DISTANCE
    reid_faces: int = 3

    def __post_init__(self) -> None:
        _need(_is_num(self.iou_min) and 0 < self.iou_min <= 1, "iou_min", self.iou_min,
              "a number in (0, 1]")  # fmt: skip
        _need(_is_num(self.max_gap_s) and self.max_gap_s >= 0, "max_gap_s", self.max_gap_s,
              "a number of seconds >= 0")  # fmt: skip
        _need(_is_int(self.max_gap_frames) and self.max_gap_frames >= 0, "max_gap_frames",
              self.max_gap_frames, "an integer >= 0")  # fmt: skip
        _need(_is_num(self.shot_threshold) and self.shot_threshold > 0, "shot_threshold",
              self.shot_threshold, "a number > 0 (mean HSV change, 0-255)")  # fmt: skip
        _need(_is_num(self.min_shot_s) and self.min_shot_s >= 0, "min_shot_s",
              self.min_shot_s, "a number of seconds >= 0")  # fmt: skip
        _need(isinstance(self.reid, bool), "reid", self.reid, "True or False")
        _need(_is_num(self.reid_max_distance) and 0 < self.reid_max_distance < 2,
              "reid_max_distance", self.reid_max_distance,
              f"a number in (0, 2); {REID_MAX_DISTANCE} is calibrated")  # fmt: skip
        _need(_is_int(self.reid_faces) and self.reid_faces >= 1, "reid_faces", self.reid_faces,
              "an integer >= 1")  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


#: Nested parts of `AnalysisSettings` whose fields may be given by their flat names.
_PARTS: dict[str, type] = {"detector": DetectorSettings, "tracker": TrackerSettings,
                           "voice": VoiceSettings}  # fmt: skip

#: A part's fields whose flat names carry a prefix (the voice's `model` is `voice_model`).
_PREFIXES: dict[str, str] = {"voice": "voice_"}


def _flat(part: str, name: str) -> str:
    """The flat name of field `name` of part `part`."""
    return _PREFIXES.get(part, "") + name


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides an analysis's results (and where it runs).

    Attributes:
        model: "auto" | "mini-xception" | a Hugging Face model id | a local model folder.
        every_n: analyse every n-th frame (1 when neither `every_n` nor `fps` is given).
        fps: analyse one frame per 1/fps seconds of video instead (variable-rate safe).
        start_s, end_s: analyse only this part of the clip, seconds (None: from the start,
            to the end).
        device: "auto" | "cpu" | "cuda" | "cuda:N" (resolved by `core.device`).
        detector: the face detector's settings.
        tracker: the tracker's settings.
        voice: the voice channel's settings (flat names `voice_enabled`, `voice_model`, ...);
            not part of the face table's cache key (see `voice_cache_key`).
    """

    model: str = "auto"
    every_n: int | None = None
    fps: float | None = None
    start_s: float | None = None
    end_s: float | None = None
    device: str = "auto"
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)

    def __post_init__(self) -> None:

        def set_(name: str, value: Any) -> None:  # frozen: values are normalised once, here
            object.__setattr__(self, name, value)

        if isinstance(self.model, Path):
            set_("model", str(self.model))
        _need(isinstance(self.model, str) and bool(self.model.strip()), "model", self.model,
              '"auto", "mini-xception", a Hugging Face model id or a local folder')  # fmt: skip
        if self.every_n == 1 and self.fps is not None:  # the notebook's default yields to fps
            set_("every_n", None)
        check_sampling(self.every_n, self.fps)
        if self.fps is not None:
            set_("fps", float(self.fps))
        elif self.every_n is None:
            set_("every_n", 1)
        for name in ("start_s", "end_s"):
            v = getattr(self, name)
            _need(v is None or (_is_num(v) and v >= 0), name, v, "seconds >= 0, or None")
            if v is not None:
                set_(name, float(v))
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ParameterError(f"end_s={self.end_s} must be after start_s={self.start_s}")
        device = str(self.device).strip().lower()
        _need(device in DEVICES or (device.startswith("cuda:") and device[5:].isdigit()),
              "device", self.device, '"auto", "cpu", "cuda" or "cuda:N"')  # fmt: skip
        set_("device", device)
        for name, cls in _PARTS.items():
            part = getattr(self, name)
            if isinstance(part, dict):
                set_(name, _part_from_dict(cls, part, name))
            elif not isinstance(part, cls):
                raise ParameterError(f"{name}={part!r}: expected {cls.__name__} or a dict")

    # --- building ------------------------------------------------------------------------

    @classmethod
    def flat_names(cls) -> tuple[str, ...]:
        """Every name `from_flat` accepts: the top-level fields and the parts' fields."""
        top = [f.name for f in fields(cls) if f.name not in _PARTS]
        return (*top, *(_flat(p, f.name) for p, part in _PARTS.items() for f in fields(part)))

    @classmethod
    def from_flat(cls, base: AnalysisSettings | None = None, **values: Any) -> AnalysisSettings:
        """Settings from flat names (`min_face_px=80`, `max_gap_s=2`), on top of `base`.

        A value of None for a part's field means "its default" (command-line options that
        were not given).

        Raises:
            ParameterError: for an unknown name or an invalid value.
        """
        base = base or cls()
        unknown = sorted(set(values) - set(cls.flat_names()) - set(_PARTS))
        if unknown:
            raise ParameterError(f"unknown setting(s) {unknown}; allowed: {list(cls.flat_names())}")
        top: dict[str, Any] = {}
        parts: dict[str, dict[str, Any]] = {name: {} for name in _PARTS}
        for key, value in values.items():
            if key in _PARTS:
                top[key] = value
                continue
            owner = next(((p, f) for p, c in _PARTS.items() for f in _field_names(c)
                          if _flat(p, f) == key), None)  # fmt: skip
            if owner is None:
                top[key] = value
            elif value is not None:
                parts[owner[0]][owner[1]] = value
        if ("every_n" in top) != ("fps" in top):  # one sampling given: it replaces the other
            top.setdefault("every_n", None)
            top.setdefault("fps", None)
        out = replace(base, **top)
        for name, changes in parts.items():
            if changes:
                out = replace(out, **{name: _replace_part(getattr(out, name), changes, name)})
        return out

    def to_flat(self) -> dict[str, Any]:
        """Every setting by its flat name, JSON-normal (notebook parameters, CLI echo)."""
        d = self.to_dict()
        parts = {k: d.pop(k) for k in _PARTS}
        return {**d, **{_flat(p, k): v for p, part in parts.items() for k, v in part.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisSettings:
        """The inverse of `to_dict` (nested parts as dicts)."""
        return cls.from_flat(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-normal nested dict (lists, not tuples)."""
        d = asdict(self)
        d["detector"]["thresholds"] = list(self.detector.thresholds)
        return d

    # --- what decides results ------------------------------------------------------------

    @property
    def sampling(self) -> dict[str, Any]:
        """The sampling and time range, as recorded in the provenance."""
        return {"every_n": self.every_n, "fps": self.fps, "start_s": self.start_s,
                "end_s": self.end_s}  # fmt: skip

    def cache_key(self, video_sha256: str, model_name: str) -> dict[str, Any]:
        """What a saved analysis must match to be reused (the device is not part of it:
        it changes float rounding only).

        Args:
            video_sha256: the video's content hash.
            model_name: the resolved classifier name (`auto` resolved).
        """
        d = self.to_dict()
        return {"video_sha256": video_sha256, "sampling": self.sampling,
                "detector": d["detector"], "tracker": d["tracker"],
                "model": model_name}  # fmt: skip

    def voice_cache_key(self, video_sha256: str) -> dict[str, Any]:
        """What a saved voice table must match to be reused: the sound (the video's hash),
        the time range and the voice settings that shape its values (not `enabled`, not the
        batch size). Kept apart from `cache_key`: changing a voice setting re-runs only the
        voice channel, never the faces."""
        return {"video_sha256": video_sha256, "start_s": self.start_s, "end_s": self.end_s,
                **self.voice.result_fields()}  # fmt: skip

    @classmethod
    def from_cache_key(cls, key: dict[str, Any], device: str = "auto") -> AnalysisSettings:
        """Settings recorded in a provenance's `settings` block (see `cache_key`)."""
        return cls.from_flat(model=key.get("model", "auto"), device=device,
                             detector=key.get("detector", {}), tracker=key.get("tracker", {}),
                             **{k: v for k, v in key.get("sampling", {}).items()
                                if k in ("every_n", "fps", "start_s", "end_s")})  # fmt: skip


def _field_names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def _part_from_dict(cls: type, data: dict[str, Any], name: str) -> Any:
    unknown = sorted(set(data) - _field_names(cls))
    if unknown:
        raise ParameterError(f"{name} settings {unknown}: unknown; allowed: "
                             f"{sorted(_field_names(cls))}")  # fmt: skip
    return cls(**data)


def _replace_part(part: Any, changes: dict[str, Any], name: str) -> Any:
    return _part_from_dict(type(part), {**asdict(part), **changes}, name)
