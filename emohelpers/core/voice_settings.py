"""The settings of the voice channel: one part of `core.settings.AnalysisSettings`.

Torch-free, so that the command line's help stays fast. As flat names (command line,
notebook parameters, `analyze(**overrides)`) each field gets the prefix `voice_`:
`voice_enabled`, `voice_model`, `voice_window_s`, `voice_hop_s`, `voice_min_speech_prob`,
`voice_batch_size`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from emohelpers.core.errors import ParameterError

#: The project's own offline voice model (see `analysis.voice.classifiers.voice_cnn`).
OFFLINE_VOICE_MODEL = "voice-cnn"

#: The fields that do not change a voice table (left out of its cache key).
_NOT_RESULTS = ("enabled", "batch_size")


@dataclass(frozen=True)
class VoiceSettings:
    """How a sound track becomes the voice table.

    Attributes:
        enabled: analyse the sound track at all (`--no-voice` turns it off).
        model: "voice-cnn" (the offline model), a transformers audio-classification Hub id,
            or a local folder saved with `save_pretrained`.
        window_s: length of each analysed window, seconds.
        hop_s: time between window starts, seconds (<= window_s: windows tile or overlap).
        min_speech_prob: a window is classified when its mean voice-activity probability
            reaches this; below it, it is a non-speech row with NaN probabilities.
        batch_size: windows per forward pass of the voice model.
    """

    enabled: bool = True
    model: str = OFFLINE_VOICE_MODEL
    window_s: float = 2.0
    hop_s: float = 1.0
    min_speech_prob: float = 0.5
    batch_size: int = 32

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ParameterError(f"voice enabled={self.enabled!r}: must be True or False")
        if not str(self.model).strip():
            raise ParameterError("voice model='': give voice-cnn, a Hub id or a folder")
        object.__setattr__(self, "model", str(self.model))
        for name in ("window_s", "hop_s"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and 0.2 <= v <= 60):
                raise ParameterError(f"voice {name}={v!r}: must be seconds in [0.2, 60]")
            object.__setattr__(self, name, float(v))
        if self.hop_s > self.window_s:
            raise ParameterError(
                f"voice hop_s={self.hop_s} > window_s={self.window_s}: windows would leave "
                "gaps; use a hop no longer than the window"
            )
        p = self.min_speech_prob
        if not (isinstance(p, int | float) and 0.0 <= p <= 1.0):
            raise ParameterError(f"voice min_speech_prob={p!r}: must be in [0, 1]")
        object.__setattr__(self, "min_speech_prob", float(p))
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ParameterError(f"voice batch_size={self.batch_size!r}: must be an integer >= 1")
        object.__setattr__(self, "batch_size", int(self.batch_size))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, for the provenance."""
        return asdict(self)

    def result_fields(self) -> dict[str, Any]:
        """The fields that decide the voice table's values (its cache key's part)."""
        return {k: v for k, v in asdict(self).items() if k not in _NOT_RESULTS}
