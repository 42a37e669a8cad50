"""Label spellings, in one place: any model's labels mapped onto `EMOTIONS`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ModelLoadError

SYNONYMS: dict[str, str] = {
    "angry": "angry", "anger": "angry", "mad": "angry",
    "disgust": "disgust", "disgusted": "disgust", "disgusting": "disgust",
    "fear": "fear", "fearful": "fear", "afraid": "fear", "scared": "fear",
    "happy": "happy", "happiness": "happy", "joy": "happy", "happily": "happy",
    "neutral": "neutral", "calm": "neutral",
    "sad": "sad", "sadness": "sad", "sorrow": "sad",
    "surprise": "surprise", "surprised": "surprise", "surprising": "surprise",
}  # fmt: skip


def canonical_label(label: str) -> str | None:
    """One of `EMOTIONS` for a label spelling (case and spaces ignored), or None."""
    return SYNONYMS.get(str(label).strip().lower().replace("_", " "))


#: What a face model's refusal suggests instead.
FACE_MODEL_FIX = (
    "use a 7-class facial expression model (e.g. trpakov/vit-face-expression) "
    "or --model mini-xception"
)


def label_permutation(
    labels: Sequence[str], source: str, *, kind: str = "expressions", fix: str = FACE_MODEL_FIX
) -> np.ndarray:
    """Indices that reorder a model's outputs into `EMOTIONS` order.

    Args:
        labels: the model's labels, in its output order (id2label values).
        source: the model's name, for the error message.
        kind: what the seven are called in the message ("expressions", "emotions").
        fix: what the message suggests instead.

    Returns:
        (7,) int array `perm` such that `outputs[:, perm]` is in `EMOTIONS` order.

    Raises:
        ModelLoadError: when the labels are not exactly the seven expressions.
    """
    mapped = [canonical_label(lbl) for lbl in labels]
    if len(labels) != len(EMOTIONS) or None in mapped or len(set(mapped)) != len(EMOTIONS):
        raise ModelLoadError(
            f"{source}: its labels {list(labels)} cannot be mapped onto the seven {kind} "
            f"{list(EMOTIONS)}; {fix}"
        )
    return np.array([mapped.index(e) for e in EMOTIONS], dtype=np.int64)
