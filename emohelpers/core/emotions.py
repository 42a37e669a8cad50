"""The seven expression names: the vocabulary of every table (faces and voice).

Defined in core so that both tables (`analysis.table`, `analysis.voice.table`) and the
`Analysis` that holds them can use it without importing each other.
"""

from __future__ import annotations

#: The seven expressions, in the order of every probability array in emohelpers.
EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")

#: The probability of each emotion under a uniform guess.
CHANCE: float = 1.0 / len(EMOTIONS)
