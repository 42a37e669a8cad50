"""Any model's labels mapped onto `EMOTIONS` (the spellings themselves: `core.emotions`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.emotions import SYNONYMS, canonical_label  # noqa: F401  (one import path)
from emohelpers.core.errors import ModelLoadError

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
