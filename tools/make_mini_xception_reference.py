"""Make the reference outputs that the mini-Xception port is tested against.

The test `tests/classifiers/test_mini_xception.py` feeds the inputs saved here through the
PyTorch port and compares its probabilities with those of the ORIGINAL Keras model. Two
steps, run by hand (never by tests), because TensorFlow must not enter the project's venv:

1. `crops`, with the project venv: decodes a few frames of the sample clips with PyAV, finds
   the faces with facenet_pytorch's MTCNN, crops each face (square, with a margin, as the
   pipeline does) and turns it into the model's 64x64 gray uint8 input exactly as
   `MiniXception.preprocess` does (`mini_xception.to_gray64`); adds a few synthetic inputs;
   records where the weights are (`assets.offline_weights()`).

       .venv/bin/python tools/make_mini_xception_reference.py crops --out /tmp/mx_inputs.npz

2. `keras`, with a scratch venv outside the repo holding TensorFlow 2.15 (its Keras 2 loads
   this Keras 2.0.5 HDF5 file as the FER package does):

       python3 -m venv /tmp/tfvenv
       /tmp/tfvenv/bin/pip install tensorflow-cpu==2.15.1 h5py "numpy<2"
       /tmp/tfvenv/bin/python tools/make_mini_xception_reference.py keras \\
           --inputs /tmp/mx_inputs.npz --out tests/fixtures/mini_xception_reference.npz

3. `labels`, with the project venv: the label names in the model's output order, taken
   independently of emohelpers' code from the FER package's own source (`FER._get_labels`
   in fer/fer.py of the `fer` wheel on PyPI, read as a literal, never imported):

       .venv/bin/python tools/make_mini_xception_reference.py labels \\
           --out tests/fixtures/fer_labels.json

The fixture holds `inputs` (N, 64, 64) uint8, `keras_probs` (N, 7) float32 in the Keras
model's own label order (angry, disgust, fear, happy, sad, surprise, neutral), `sources`
(where each input came from) and the weights' sha256 and TensorFlow version.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

# (clip, faces wanted): the frames are spread evenly over each clip.
CLIP_QUOTAS = {
    "WolfgangLanger_Pexels.mp4": 10,
    "single_face.mp4": 6,
    "face_noface.mov": 4,
    "noface_face.mov": 4,
}
MARGIN = 0.2  # added to the square face box, as a fraction of its side
MIN_DET_PROB = 0.95


def _square_crop(frame: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
    """The square around a face box, enlarged by MARGIN and clipped to the frame."""
    x1, y1, x2, y2 = xyxy
    cx, cy, side = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * (1 + MARGIN)
    h, w = frame.shape[:2]
    left, top = max(int(round(cx - side / 2)), 0), max(int(round(cy - side / 2)), 0)
    right, bottom = min(int(round(cx + side / 2)), w), min(int(round(cy + side / 2)), h)
    return frame[top:bottom, left:right]


def _face_crops(clip: Path, wanted: int, mtcnn) -> tuple[list[np.ndarray], list[str]]:
    """Up to `wanted` face crops from frames spread over `clip`, the largest face of each."""
    import av

    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    candidates = np.linspace(0, len(frames) - 1, 4 * wanted).round().astype(int)
    found: list[tuple[int, np.ndarray]] = []
    for i in np.unique(candidates):
        boxes, probs = mtcnn.detect(frames[i])
        if boxes is None:
            continue
        keep = [b for b, p in zip(boxes, probs, strict=True) if p >= MIN_DET_PROB]
        if keep:
            largest = max(keep, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
            found.append((int(i), _square_crop(frames[i], largest)))
    picks = np.linspace(0, len(found) - 1, min(wanted, len(found))).round().astype(int)
    chosen = [found[k] for k in picks]
    return [c for _, c in chosen], [f"{clip.name}:frame{i}" for i, _ in chosen]


def _synthetic() -> tuple[list[np.ndarray], list[str]]:
    """Inputs no face detector would give: flat gray, a ramp, seeded noise (64x64 uint8)."""
    ramp = np.tile(np.linspace(0, 255, 64).round().astype(np.uint8), (64, 1))
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    flat = np.full((64, 64), 128, dtype=np.uint8)
    return [flat, ramp.T.copy(), noise], ["synthetic:flat128", "synthetic:ramp", "synthetic:noise"]


def make_inputs(out: Path) -> None:
    """Step 1 (project venv): real face crops + synthetic inputs -> `out` (.npz)."""
    from facenet_pytorch import MTCNN

    from emohelpers.analysis.classifiers.mini_xception import to_gray64
    from emohelpers.core import assets

    mtcnn = MTCNN(keep_all=True, device="cpu")
    folder = assets.sample_clip().parent
    crops, sources = [], []
    for name, wanted in CLIP_QUOTAS.items():
        c, s = _face_crops(folder / name, wanted, mtcnn)
        print(f"{name}: {len(c)} faces ({', '.join(s)})")
        crops += c
        sources += s
    gray, synth_sources = _synthetic()
    inputs = np.concatenate([to_gray64(crops), np.stack(gray)])
    np.savez_compressed(
        out,
        inputs=inputs,
        sources=np.array(sources + synth_sources),
        weights=np.array(str(assets.offline_weights())),
    )
    print(f"wrote {out}: {inputs.shape} inputs")


def run_keras(inputs_path: Path, weights: Path | None, out: Path) -> None:
    """Step 2 (scratch venv with TensorFlow): the Keras model's probabilities -> fixture."""
    import tensorflow as tf

    data = np.load(inputs_path)
    inputs = data["inputs"]
    weights = weights or Path(str(data["weights"]))
    # The FER package's scaling (fer.FER.detect_emotions), in float32 as there.
    x = inputs.astype(np.float32) / 255.0
    x = (x - 0.5) * 2.0
    model = tf.keras.models.load_model(str(weights), compile=False)
    probs = model(x[..., None], training=False).numpy().astype(np.float32)
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    np.savez_compressed(
        out,
        inputs=inputs,
        keras_probs=probs,
        sources=data["sources"],
        weights_sha256=np.array(sha),
        tensorflow_version=np.array(tf.__version__),
    )
    size = out.stat().st_size
    print(f"wrote {out} ({size} bytes): {probs.shape} probabilities, TF {tf.__version__}")


FER_WHEEL = "fer==25.10.3"


def fer_labels_from_source(source: str) -> list[str]:
    """The labels of `FER._get_labels` in fer/fer.py's source: its returned dict literal
    {index: name}, as a list in index order (parsed with `ast`, nothing executed)."""
    import ast

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == "_get_labels":
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Dict):
                    mapping = ast.literal_eval(stmt.value)
                    return [mapping[i] for i in range(len(mapping))]
    raise ValueError("fer/fer.py: no _get_labels returning a dict literal")


def write_labels(out: Path) -> None:
    """Download the fer wheel (no dependencies), read its label list, write the JSON."""
    import json
    import subprocess
    import sys
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, FER_WHEEL],
            check=True,
        )
        wheel = next(Path(tmp).glob("fer-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            source = z.read("fer/fer.py").decode("utf-8")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    record = {
        "labels": fer_labels_from_source(source),
        "source": f"{wheel.name}: fer/fer.py, FER._get_labels (output index -> name)",
        "wheel_sha256": digest,
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}: {record['labels']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    crops = sub.add_parser("crops", help="step 1, project venv: face crops -> 64x64 inputs")
    crops.add_argument("--out", type=Path, default=Path("/tmp/mx_inputs.npz"))
    keras = sub.add_parser("keras", help="step 2, TensorFlow venv: Keras probabilities")
    keras.add_argument("--inputs", type=Path, default=Path("/tmp/mx_inputs.npz"))
    keras.add_argument("--weights", type=Path, help="default: the path step 1 recorded")
    keras.add_argument(
        "--out", type=Path, default=Path("tests/fixtures/mini_xception_reference.npz")
    )
    labels = sub.add_parser("labels", help="project venv: label order from the fer wheel")
    labels.add_argument("--out", type=Path, default=Path("tests/fixtures/fer_labels.json"))
    args = parser.parse_args()
    if args.step == "crops":
        make_inputs(args.out)
    elif args.step == "labels":
        write_labels(args.out)
    else:
        run_keras(args.inputs, args.weights and args.weights.expanduser(), args.out)


if __name__ == "__main__":
    main()
