"""The voice block's status: why there is, or is not, a voice table.

Each member is written to the provenance as its value (a `StrEnum` compares equal to it),
so a provenance read back from JSON holds the same strings.
"""

from __future__ import annotations

import enum


class VoiceStatus(enum.StrEnum):
    """The status in a voice provenance (`provenance.voice["status"]`)."""

    OK = "ok"  # the sound track was analysed (with or without speech)
    NO_AUDIO = "no audio"  # the clip has no sound track
    BROKEN_AUDIO = "broken audio"  # the sound could not be read to the end
    OFF = "off"  # the voice channel was switched off
