"""The seven expression names: the vocabulary of every table (faces and voice), and the
spellings of them that models, label folders and golden files use.

Defined in core so that both tables (`analysis.table`, `analysis.voice.table`) and the
`Analysis` that holds them can use it without importing each other, and so that reading a
label (a golden CSV, a label folder) needs no model code (torch).
"""

from __future__ import annotations

#: The seven expressions, in the order of every probability array in emohelpers.
EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")

#: The probability of each emotion under a uniform guess.
CHANCE: float = 1.0 / len(EMOTIONS)

#: Label spellings (lower case, spaces for underscores) -> one of `EMOTIONS`.
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("angry", "anger", "mad"), "angry"),
    **dict.fromkeys(("disgust", "disgusted", "disgusting"), "disgust"),
    **dict.fromkeys(("fear", "fearful", "afraid", "scared"), "fear"),
    **dict.fromkeys(("happy", "happiness", "joy", "happily"), "happy"),
    **dict.fromkeys(("neutral", "calm"), "neutral"),
    **dict.fromkeys(("sad", "sadness", "sorrow"), "sad"),
    **dict.fromkeys(("surprise", "surprised", "surprising"), "surprise"),
}


def canonical_label(label: str) -> str | None:
    """One of `EMOTIONS` for a label spelling (case and spaces ignored), or None."""
    return SYNONYMS.get(str(label).strip().lower().replace("_", " "))
