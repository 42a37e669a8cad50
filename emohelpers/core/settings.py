"""The settings that decide an analysis: one frozen object, the single home of their rules.

`AnalysisSettings` is built and validated once (from the command line, the Python API or the
report notebook's parameters) and then passed down; the cache key and the provenance are
made from it. It is torch-free so that the command line can show its defaults instantly.

Each setting is declared once, as a `core.spec.Setting` on its field (here, and in the parts
`DetectorSettings`, `TrackerSettings`, `VoiceSettings`): `AnalysisSettings.spec()` lists
them all by flat name, and the command-line options, the notebooks' parameter checks, the
cache keys and the README's settings table are made from that list.

Flat names (`every_n`, `min_face_px`, `max_gap_s`, `voice_window_s`, ...) are how users
write settings; `AnalysisSettings.from_flat` maps them onto the nested object and refuses
unknown names.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from emohelpers.core.device import DEVICE_ALLOWED, check_device
from emohelpers.core.errors import ParameterError
from emohelpers.core.part_settings import REID_MAX_DISTANCE, DetectorSettings, TrackerSettings
from emohelpers.core.spec import Setting, check_fields, model_request, setting, specs_of
from emohelpers.core.voice_settings import PREFIX as VOICE_PREFIX
from emohelpers.core.voice_settings import VoiceSettings

__all__ = [
    "REID_MAX_DISTANCE",
    "AnalysisSettings",
    "DetectorSettings",
    "TrackerSettings",
    "VoiceSettings",
    "check_sampling",
]

#: Settings of which at most one may be given (the command line makes them exclusive).
EXCLUSIVE: tuple[tuple[str, str], ...] = (("every_n", "fps"),)


def check_sampling(every_n: int | None, fps: float | None) -> None:
    """The sampling rule: every n-th frame (an integer >= 1) or `fps` frames per second of
    video (a number > 0), never both; None for both means every frame.

    Raises:
        ParameterError: naming the values and what is allowed.
    """
    if every_n is not None and fps is not None:
        raise ParameterError(
            f"every_n={every_n!r} and fps={fps!r}: give one, not both; allowed: every_n (an "
            "integer >= 1) or fps (a number > 0), or neither: every frame"
        )
    _top_by_field()["every_n"].check(every_n)
    _top_by_field()["fps"].check(fps)


#: Nested parts of `AnalysisSettings` whose fields may be given by their flat names.
_PARTS: dict[str, type[DetectorSettings] | type[TrackerSettings] | type[VoiceSettings]] = {
    "detector": DetectorSettings,
    "tracker": TrackerSettings,
    "voice": VoiceSettings,
}


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides an analysis's results (and where it runs): the model, the
    sampling and time range, the device (each declared by its `Setting`, see `spec()` and
    the README's settings table) and three parts: `detector`, `tracker` and `voice` (the
    voice is not part of the face table's cache key; see `voice_cache_key`)."""

    model: str = setting(
        "value",
        "auto",
        'the face-expression classifier ("auto": emo-vgg, the project\'s own, offline)',
        group="model",
        allowed_text='"auto", "emo-vgg", "mini-xception", a Hugging Face model id or a folder',
        parse=model_request,
        cache=True,
    )
    every_n: int | None = setting(
        "int",
        None,
        "analyse every n-th frame",
        group="sampling",
        low=1,
        none="every frame, unless fps is given",
        cache=True,
    )
    fps: float | None = setting(
        "float",
        None,
        "analyse this many frames per second of video instead (not with every_n)",
        group="sampling",
        low=0,
        low_open=True,
        none="every_n decides",
        cache=True,
    )
    start_s: float | None = setting(
        "float",
        None,
        "analyse from this time",
        group="sampling",
        low=0,
        unit="s",
        none="from the start",
        cache=True,
    )
    end_s: float | None = setting(
        "float",
        None,
        "analyse up to this time (after start_s)",
        group="sampling",
        low=0,
        unit="s",
        none="to the end",
        cache=True,
    )
    min_quality: float = setting(
        "float",
        0.25,
        "faces of a lower quality (size, sharpness, pose, detector probability, exposure) "
        "stay in the table but are left out of dominant emotions, windows, valence and "
        "evaluation",
        group="model",
        low=0,
        high=1,
    )
    device: str = setting(
        "value",
        "auto",
        'where the models run ("auto": CUDA when available)',
        group="device",
        allowed_text=DEVICE_ALLOWED,
        parse=check_device,
    )
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)

    def __post_init__(self) -> None:
        check_sampling(self.every_n, self.fps)
        check_fields(self, _top_specs())
        if self.fps is None and self.every_n is None:
            object.__setattr__(self, "every_n", 1)
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ParameterError(
                f"end_s={self.end_s!r}: invalid; allowed: a time after "
                f"start_s={self.start_s!r}, or None: to the end"
            )
        for name, cls in _PARTS.items():
            part = getattr(self, name)
            if isinstance(part, dict):
                object.__setattr__(self, name, _part_from_dict(cls, part, name))
            elif not isinstance(part, cls):
                raise ParameterError(
                    f"{name}={part!r}: invalid; allowed: a {cls.__name__} or a dict"
                )

    # --- the declarations ----------------------------------------------------------------

    @classmethod
    def spec(cls) -> tuple[Setting, ...]:
        """Every setting by its flat name: the top-level ones, then the parts' ones."""
        return _all_specs()

    @classmethod
    def flat_names(cls) -> tuple[str, ...]:
        """Every name `from_flat` accepts: the top-level fields and the parts' fields."""
        return tuple(s.name for s in _all_specs())

    # --- building ------------------------------------------------------------------------

    @classmethod
    def from_flat(cls, base: AnalysisSettings | None = None, **values: Any) -> AnalysisSettings:
        """Settings from flat names (`min_face_px=80`, `max_gap_s=2`), on top of `base`.

        A value of None for a part's field means "its default" (command-line options that
        were not given). Giving one of `every_n` and `fps` replaces the base's other one;
        giving both (not None) is an error.

        Raises:
            ParameterError: for an unknown name or an invalid value.
        """
        base = base or cls()
        names = cls.flat_names()
        unknown = sorted(set(values) - set(names) - set(_PARTS))
        if unknown:
            raise ParameterError(f"unknown setting(s) {unknown}; allowed: {list(names)}")
        owners = _owners()
        top: dict[str, Any] = {}
        parts: dict[str, dict[str, Any]] = {name: {} for name in _PARTS}
        for key, value in values.items():
            if key in _PARTS or key not in owners:
                top[key] = value
            elif value is not None:
                part, name = owners[key]
                parts[part][name] = value
        for pair in EXCLUSIVE:  # one of a pair given: it replaces the base's other one
            if sum(name in top for name in pair) == 1:
                top |= {name: top.get(name) for name in pair}
        out = replace(base, **top)
        for name, changes in parts.items():
            if changes:
                out = replace(out, **{name: _replace_part(getattr(out, name), changes, name)})
        return out

    def to_flat(self) -> dict[str, Any]:
        """Every setting by its flat name, JSON-normal (notebook parameters, CLI echo)."""
        d = self.to_dict()
        flat = {s.name: d[s.field] for s in _top_specs()}
        for part, prefix in _part_prefixes().items():
            flat |= {prefix + k: v for k, v in d[part].items()}
        return flat

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
        return {s.field: getattr(self, s.field) for s in _top_specs() if s.group == "sampling"}

    def cache_key(self, video_sha256: str, model_name: str) -> dict[str, Any]:
        """What a saved analysis must match to be reused: the settings marked as entering
        the cache key (not the device: it changes float rounding only; not the voice: see
        `voice_cache_key`).

        Args:
            video_sha256: the video's content hash.
            model_name: the resolved classifier name (`auto` resolved).
        """
        d = self.to_dict()
        sampling = {k: v for k, v in self.sampling.items() if _top_by_field()[k].cache}
        parts = {
            part: {s.field: d[part][s.field] for s in _PARTS[part].spec() if s.cache}
            for part in ("detector", "tracker")
        }
        return {"video_sha256": video_sha256, "sampling": sampling, **parts, "model": model_name}

    def voice_cache_key(self, video_sha256: str) -> dict[str, Any]:
        """What a saved voice table must match to be reused: the sound (the video's hash),
        the time range and the voice settings that shape its values (not `enabled`, not the
        batch size). Kept apart from `cache_key`: changing a voice setting re-runs only the
        voice channel, never the faces."""
        return {
            "video_sha256": video_sha256,
            "start_s": self.start_s,
            "end_s": self.end_s,
            **self.voice.result_fields(),
        }

    @classmethod
    def from_cache_key(cls, key: dict[str, Any], device: str = "auto") -> AnalysisSettings:
        """Settings recorded in a provenance's `settings` block (see `cache_key`)."""
        sampling = {
            k: v
            for k, v in key.get("sampling", {}).items()
            if k in ("every_n", "fps", "start_s", "end_s")
        }
        return cls.from_flat(
            model=key.get("model", "auto"),
            device=device,
            detector=key.get("detector", {}),
            tracker=key.get("tracker", {}),
            **sampling,
        )


@functools.cache
def _top_specs() -> tuple[Setting, ...]:
    return specs_of(AnalysisSettings)


@functools.cache
def _top_by_field() -> dict[str, Setting]:
    return {s.field: s for s in _top_specs()}


def _part_prefixes() -> dict[str, str]:
    return {"detector": "", "tracker": "", "voice": VOICE_PREFIX}


@functools.cache
def _all_specs() -> tuple[Setting, ...]:
    return (*_top_specs(), *(s for cls in _PARTS.values() for s in cls.spec()))


@functools.cache
def _owners() -> dict[str, tuple[str, str]]:
    """Flat name -> (part, field) of every part's setting."""
    return {s.name: (part, s.field) for part, cls in _PARTS.items() for s in cls.spec()}


def _field_names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def _part_from_dict(cls: type, data: dict[str, Any], name: str) -> Any:
    unknown = sorted(set(data) - _field_names(cls))
    if unknown:
        raise ParameterError(
            f"{name} settings {unknown}: unknown; allowed: {sorted(_field_names(cls))}"
        )
    return cls(**data)


def _replace_part(part: Any, changes: dict[str, Any], name: str) -> Any:
    return _part_from_dict(type(part), {**asdict(part), **changes}, name)
