"""Subtitles (`.srt`, SubRip): one cue per time window in which a face was seen, one line per
person with their dominant emotion ("Candidate A (P1): happy"), for any video player or
subtitle editor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from emohelpers.exports.annotations import Interval


def srt_time(seconds: float) -> str:
    """`75.5` -> `"00:01:15,500"` (SubRip's `HH:MM:SS,mmm`)."""
    ms = max(0, int(round(seconds * 1000)))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def srt_document(persons: Mapping[str, Sequence[Interval]]) -> str:
    """A SubRip document of person tiers (label -> intervals): one numbered cue per window,
    its persons in tier order.

    Args:
        persons: the persons' tiers (`annotations.person_tiers`).
    """
    cues: dict[tuple[float, float], list[str]] = {}
    for label, intervals in persons.items():
        for iv in intervals:
            cues.setdefault((iv.start_s, iv.end_s), []).append(f"{label}: {iv.value}")
    blocks = [
        f"{i}\n{srt_time(start)} --> {srt_time(end)}\n" + "\n".join(lines) + "\n"
        for i, ((start, end), lines) in enumerate(sorted(cues.items()), start=1)
    ]
    return "\n".join(blocks)
