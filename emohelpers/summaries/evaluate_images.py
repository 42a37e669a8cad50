"""A classifier's accuracy on a labelled folder of face crops (`<label>/<image>`).

This is how a user chooses the model to trust for their footage: the images go through the
classifier's own `predict`, the same preprocessing as video analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm.auto import tqdm

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import SchemaError
from emohelpers.summaries.calibration import BINS, expected_calibration_error
from emohelpers.summaries.labelled_folder import list_labelled_files
from emohelpers.summaries.metrics import classification_metrics, metrics_fields

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


def list_labelled_images(
    folder: str | Path, skip_unknown: bool = False
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The images of `folder/<label>/<image>` with their canonical labels.

    Label folders are named after the seven emotions or their synonyms (see
    `classifiers.labels.canonical_label`); several folders may name one emotion. Hidden
    entries, loose files in `folder` and files that are not images are ignored.

    Returns:
        ([(image path, emotion)], names of the skipped unknown label folders).

    Raises:
        SchemaError: for a missing folder, an unknown label folder (unless `skip_unknown`:
            then skipped with a warning) or no images at all.
    """
    return list_labelled_files(
        folder, IMAGE_EXTENSIONS, item="image", plural="images", skip_unknown=skip_unknown
    )


def evaluate_images(
    folder: str | Path, classifier: Any, *, skip_unknown: bool = False, chunk: int = 256
) -> dict[str, Any]:
    """Accuracy of a classifier on already-cropped faces in `folder/<label>/<image>`.

    The images go through the classifier's own `predict` as RGB PIL images, the same
    preprocessing as video analysis. The folder is read by `list_labelled_images`.

    Args:
        folder: the labelled folder.
        classifier: a `classifiers.base.Classifier` (anything with `predict(list of PIL)`
            returning (N, 7) probabilities in `EMOTIONS` order, and `name`).
        skip_unknown: skip label folders with unknown names (with a warning) instead of
            raising.
        chunk: images loaded and predicted at a time.

    Returns:
        JSON-ready dict: folder, classifier, n, accuracy, macro_f1, recall {label: recall},
        per_class, confusion (as in `classification_metrics`), ece (the expected calibration
        error of the top-1 probability, `calibration.BINS` bins), skipped (folder names).

    Raises:
        SchemaError: see `list_labelled_images`; also for an unreadable image or a
            classifier output of the wrong shape.
    """
    root = Path(folder)
    items, skipped = list_labelled_images(root, skip_unknown)
    predicted: list[str] = []
    all_probs: list[np.ndarray] = []
    for start in tqdm(range(0, len(items), chunk), desc="evaluate-images", unit="chunk"):
        batch = items[start : start + chunk]
        images = []
        for path, _ in batch:
            try:
                with Image.open(path) as im:
                    images.append(im.convert("RGB"))
            except (OSError, UnidentifiedImageError) as exc:
                raise SchemaError(f"{path}: cannot read the image ({exc})") from exc
        probs = np.asarray(classifier.predict(images))
        if probs.shape != (len(images), len(EMOTIONS)):
            raise SchemaError(
                f"classifier {getattr(classifier, 'name', '?')}: predict returned shape "
                f"{probs.shape}, expected ({len(images)}, {len(EMOTIONS)})"
            )
        predicted += [EMOTIONS[i] for i in probs.argmax(axis=1)]
        all_probs.append(probs)
    golden = [lbl for _, lbl in items]
    metrics = classification_metrics(golden, predicted, EMOTIONS)
    stacked = np.concatenate(all_probs) if all_probs else np.zeros((0, len(EMOTIONS)))
    labels = np.array([EMOTIONS.index(lbl) for lbl in golden], dtype=np.int64)
    return {
        "folder": str(root),
        "classifier": getattr(classifier, "name", type(classifier).__name__),
        **metrics_fields(metrics),
        # Of the probabilities as the classifier gives them (emo-vgg: calibrated).
        "ece": expected_calibration_error(stacked, labels),
        "calibration_bins": BINS,
        "skipped": skipped,
    }
