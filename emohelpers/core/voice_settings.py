"""The settings of the voice channel: one part of `core.settings.AnalysisSettings`.

Torch-free, so that the command line's help stays fast. As flat names (command line,
notebook parameters, `analyze(**overrides)`) each field gets the prefix `voice_`:
`voice_enabled`, `voice_model`, `voice_window_s`, `voice_hop_s`, `voice_min_speech_prob`,
`voice_transcript`, `voice_batch_size`. Each field is declared once by its `core.spec.Setting`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from emohelpers.core.errors import ParameterError
from emohelpers.core.spec import check_fields, model_request, setting, specs_of

#: The project's default offline voice model: a head on Whisper-base's encoder (see
#: `analysis.voice.classifiers.voice_whisper`).
OFFLINE_VOICE_MODEL = "voice-whisper"
#: The project's earlier offline model, a log-mel CNN (`analysis.voice.classifiers.voice_cnn`).
CNN_VOICE_MODEL = "voice-cnn"

#: The prefix of the voice settings' flat names.
PREFIX = "voice_"


@dataclass(frozen=True)
class VoiceSettings:
    """How a sound track becomes the voice table (each field's meaning: its `Setting`,
    `VoiceSettings.spec()`, the README's settings table). The fields that enter the voice
    table's cache key are those that change its values (not `enabled`, not `batch_size`)."""

    enabled: bool = setting(
        "bool",
        True,
        'analyse the sound track (the voice table voice.parquet and the report section "voice")',
        cli=("--no-voice",),
    )
    model: str = setting(
        "value",
        OFFLINE_VOICE_MODEL,
        f'the voice model ("{OFFLINE_VOICE_MODEL}": the offline model, Whisper-base encoder '
        "with a head trained on RAVDESS: CC BY-NC-SA 4.0)",
        allowed_text=f'"{OFFLINE_VOICE_MODEL}", "{CNN_VOICE_MODEL}" (the earlier log-mel CNN), '
        "a transformers audio-classification Hub id or a local model folder",
        parse=model_request,
        cache=True,
    )
    window_s: float = setting(
        "float",
        2.0,
        "length of each analysed voice window",
        low=0.2,
        high=60,
        unit="s",
        cache=True,
    )
    hop_s: float = setting(
        "float",
        1.0,
        "time between voice window starts (no longer than the window)",
        low=0.2,
        high=60,
        unit="s",
        cache=True,
    )
    min_speech_prob: float = setting(
        "float",
        0.5,
        "a window is classified when its mean voice-activity probability "
        "reaches this; below, it is a non-speech row",
        low=0,
        high=1,
        cli=("--voice-min-speech-prob", "--min-speech-prob"),
        cache=True,
    )
    transcript: bool = setting(
        "bool",
        True,
        "transcribe the speech with Whisper-base (transcript.parquet, shown under the voice "
        "timeline in the report)",
        cli=("--no-transcript",),
        cache=True,
    )
    batch_size: int = setting(
        "int", 32, "voice windows per forward pass of the voice model", low=1, cli=None
    )

    def __post_init__(self) -> None:
        check_fields(self, self.spec())
        if self.hop_s > self.window_s:
            raise ParameterError(
                f"voice_hop_s={self.hop_s} > voice_window_s={self.window_s}: invalid; allowed: "
                "a hop no longer than the window (longer ones would leave gaps)"
            )

    @classmethod
    def spec(cls) -> tuple:
        """The declared settings, by their flat names (`voice_window_s`, ...)."""
        return specs_of(cls, prefix=PREFIX, group="voice")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, for the provenance."""
        return asdict(self)

    def result_fields(self) -> dict[str, Any]:
        """The fields that decide the voice table's values (its cache key's part)."""
        return {s.field: getattr(self, s.field) for s in self.spec() if s.cache}
