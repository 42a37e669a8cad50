"""Where an emotion table came from: the provenance, saved as `provenance.json` beside it.

A frozen dataclass; `to_dict` writes the JSON layout of table version 1 (unchanged since the
first release, so saved analyses stay readable and reusable) and `from_dict` reads it back,
also from partial dicts (missing blocks are empty).
"""

from __future__ import annotations

import datetime as _dt
import platform
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from emohelpers.core.device import recorded_device
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.core.settings import AnalysisSettings

#: The emotion table's layout: 2 added `quality` (analyses of layout 1 read with it NaN,
#: and are not reused for a new analysis).
TABLE_VERSION = 2
#: The clock every time of an analysis is on (`video.clock`): a frame's presentation time
#: minus the container's start time, as a player shows it. Analyses saved before it was
#: recorded may be on another clock (the video stream's own start) and are never reused.
CLOCK = "player"

_PACKAGES = (
    "emohelpers",
    "torch",
    "torchvision",
    "facenet-pytorch",
    "transformers",
    "av",
    "numpy",
    "pandas",
    "pyarrow",
    "h5py",
)

#: The top-level JSON keys this class owns; any other key is kept in `extra`.
_KEYS = (
    "emohelpers_table_version",
    "video",
    "settings",
    "sampling",
    "detector",
    "tracker",
    "classifier",
    "device",
    "packages",
    "created_utc",
    "summary",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that shape the results."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def model_label(name: str) -> str:
    """A model's name for pages and messages: a local folder's name, never its path.

    Hub ids ("org/model") and "mini-xception" are kept; an absolute folder path becomes its
    last part (the full path stays in the provenance's `classifier.name`).
    """
    text = str(name)
    return (Path(text).name or text) if Path(text).is_absolute() else text


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Provenance:
    """The provenance of one analysis.

    Attributes:
        settings: the settings the analysis ran with (model as requested).
        video: name, path, size_bytes, sha256, fps, n_frames, duration_s, rotation, ...
        classifier: the classifier's `info()`: name (resolved), revision, labels, ...
        detector: the face detector's `info()`.
        tracker: the tracker's `info()`.
        device: the torch device it ran on ("cpu", "cuda:0").
        packages: versions of the packages that shape the results.
        created_utc: when it was made.
        summary: the run's own facts, counted as it ran: frames analysed, faces classified,
            persons tracked, shots cut, seconds per stage and in all, frames/s. The clip's
            key figures are computed from the table (`summaries.clip_summary`), never read
            from here (older files also hold `frames_with_face`).
        extra: further blocks added by later stages, kept as they are.
        table_version: the emotion table's layout version.
    """

    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    video: dict[str, Any] = field(default_factory=dict)
    classifier: dict[str, Any] = field(default_factory=dict)
    detector: dict[str, Any] = field(default_factory=dict)
    tracker: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    packages: dict[str, Any] = field(default_factory=dict)
    created_utc: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    table_version: int = TABLE_VERSION

    @property
    def model_name(self) -> str:
        """The classifier that ran (`auto` resolved), or the requested model."""
        return str(self.classifier.get("name") or self.settings.model)

    @property
    def model_label(self) -> str:
        """`model_name` for pages and messages: a local folder's name, never its path."""
        return model_label(self.model_name)

    @property
    def truncated(self) -> bool:
        """Whether the video ended early (a cut or damaged file; see `video.DecodeStatus`)."""
        return bool(self.video.get("truncated"))

    @property
    def video_sha256(self) -> str | None:
        return self.video.get("sha256")

    @property
    def on_current_clock(self) -> bool:
        """Whether the analysis's times are on today's clock (`CLOCK`)."""
        return self.video.get("clock") == CLOCK

    @property
    def reusable(self) -> bool:
        """Whether a new analysis may reuse this one (same settings aside): its times are on
        today's clock and its table has today's layout (`TABLE_VERSION`)."""
        return self.on_current_clock and self.table_version >= TABLE_VERSION

    def cache_key(self) -> dict[str, Any]:
        """What a new analysis must match to reuse this one (see `AnalysisSettings`)."""
        return self.settings.cache_key(self.video_sha256 or "", self.model_name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout of `provenance.json`."""
        return {
            "emohelpers_table_version": self.table_version,
            "video": dict(self.video),
            "settings": self.cache_key(),
            "sampling": self.settings.sampling,
            "detector": dict(self.detector),
            "tracker": dict(self.tracker),
            "classifier": dict(self.classifier),
            "device": self.device,
            "packages": dict(self.packages),
            "created_utc": self.created_utc,
            "summary": dict(self.summary),
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        """Read a `to_dict` layout; missing blocks are empty, unknown ones go to `extra`.

        Raises:
            SchemaError: when `data` is not a dict or its settings are invalid.
        """
        if isinstance(data, Provenance):
            return data
        if not isinstance(data, dict):
            raise SchemaError(f"provenance: expected a JSON object, got {type(data).__name__}")
        key = dict(data.get("settings") or {})
        key.setdefault("sampling", data.get("sampling") or {})
        # The voice settings live in the voice block (not in the face table's cache key).
        block = data.get("voice")
        voice = block.get("settings") if isinstance(block, dict) else None
        try:
            settings = AnalysisSettings.from_cache_key(key, device=_device_request(data))
            if voice:
                settings = AnalysisSettings.from_flat(settings, voice=dict(voice))
        except ParameterError as exc:
            raise SchemaError(f"provenance: its settings cannot be read ({exc})") from exc
        blocks = {
            k: dict(data.get(k) or {})
            for k in ("video", "classifier", "detector", "tracker", "packages", "summary")
        }
        return cls(
            settings=settings,
            device=str(data.get("device") or ""),
            created_utc=str(data.get("created_utc") or ""),
            extra={k: v for k, v in data.items() if k not in _KEYS},
            table_version=int(data.get("emohelpers_table_version") or TABLE_VERSION),
            **blocks,
        )

    @property
    def voice(self) -> dict[str, Any]:
        """The voice block (status, settings, windows, timing, cache key); {} when none."""
        block = self.extra.get("voice")
        return dict(block) if isinstance(block, dict) else {}

    def with_extra(self, **blocks: Any) -> Provenance:
        """A copy with further top-level blocks (e.g. `voice`, `shots`)."""
        return replace(self, extra={**self.extra, **blocks})


def _device_request(data: dict[str, Any]) -> str:
    """The device to record as requested: "cuda:0" -> "cuda:0", "" -> "auto"."""
    return recorded_device(data.get("device"))
