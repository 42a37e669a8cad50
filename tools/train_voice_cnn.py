"""Train the offline voice model (voice-cnn) on RAVDESS speech, and its baseline, reproducibly.

    python tools/train_voice_cnn.py [--data ../shared/data/ravdess_speech_16k]
        [--out emohelpers/analysis/voice/classifiers/voice_cnn.pth] [--metrics FILE.json]

Data: RAVDESS speech, actors 01-18, 16 kHz mono FLAC (Livingstone & Russo 2018, PLoS ONE
13(5): e0196391; CC BY-NC-SA 4.0; the trained model inherits these terms). The eight RAVDESS
emotions map onto the seven: calm -> neutral, fearful -> fear, surprised -> surprise.

Split by actor: actors 15-18 (two male, two female) are the fixed validation set, never seen
in training; 01-14 train. Nothing is tuned on the validation actors by this script (fixed
epochs, no early stopping); the figures it prints are speaker-independent.

Validation classifies each file whole, exactly as `emohelpers evaluate-voice` does: silero
VAD, 2 s windows with a 1 s hop, speech windows (mean VAD >= 0.5) classified, their mean
probabilities' argmax is the file's prediction (a file without a speech window: no
prediction, counted wrong).

The baseline: multinomial logistic regression on MFCC statistics (mean and standard
deviation of 40 MFCCs over the file's speech frames), L2-regularised, fitted with L-BFGS.
The CNN must beat it; both are printed, the last line is JSON.

Deterministic: seeded numpy and torch, one CPU thread by default. About 5 minutes here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emohelpers.analysis.table import EMOTIONS  # noqa: E402
from emohelpers.analysis.voice.analyze import analyze_signal  # noqa: E402
from emohelpers.analysis.voice.audio import read_audio  # noqa: E402
from emohelpers.analysis.voice.classifiers.base import VoiceClassifier  # noqa: E402
from emohelpers.analysis.voice.classifiers.voice_cnn import WINDOW_S, VoiceCNN  # noqa: E402
from emohelpers.analysis.voice.features import HOP, log_mel, mfcc, n_frames  # noqa: E402
from emohelpers.analysis.voice.vad import FRAME, SpeechDetector  # noqa: E402
from emohelpers.core.atomic import atomic_write_json  # noqa: E402
from emohelpers.core.voice_settings import VoiceSettings  # noqa: E402
from emohelpers.summaries.evaluate_voice import file_prediction  # noqa: E402
from emohelpers.summaries.metrics import classification_metrics  # noqa: E402

log = logging.getLogger("train_voice_cnn")

#: RAVDESS emotion code -> one of the seven.
RAVDESS_EMOTIONS = {
    "01": "neutral",
    "02": "neutral",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}
VAL_ACTORS = (15, 16, 17, 18)
SEED = 12
CROP_FRAMES = n_frames(int(WINDOW_S * 16000))  # 201 feature frames = 2 s


def load_corpus(folder: Path, detector: SpeechDetector) -> list[dict]:
    """Every file: actor, label, waveform, VAD per 32 ms, log-mel, MFCC statistics."""
    items = []
    files = sorted(folder.glob("Actor_*/*.flac"))
    if not files:
        raise SystemExit(f"{folder}: no Actor_*/*.flac files; pass --data")
    for path in files:
        fields = path.stem.split("-")
        x, _ = read_audio(path)
        vad = detector(x)
        lm = log_mel(torch.from_numpy(x)[None])[0]
        mf = mfcc(torch.from_numpy(x)[None])[0].numpy()  # (40, frames)
        frame_vad = vad[np.minimum(np.arange(lm.shape[1]) * HOP // FRAME, len(vad) - 1)]
        speech = frame_vad >= 0.5
        if speech.sum() < 10:  # almost no speech found: use every frame
            speech[:] = True
        stats = np.concatenate([mf[:, speech].mean(1), mf[:, speech].std(1)])
        items.append(
            {
                "path": path,
                "actor": int(fields[6]),
                "label": EMOTIONS.index(RAVDESS_EMOTIONS[fields[2]]),
                "wave": x,
                "logmel": lm,
                "frame_vad": frame_vad,
                "stats": stats.astype(np.float32),
            }
        )
    return items


def crop_starts(frame_vad: np.ndarray, min_speech: float) -> np.ndarray:
    """Start frames of 2 s crops whose mean VAD reaches `min_speech` (else the best one)."""
    n = len(frame_vad)
    if n <= CROP_FRAMES:
        return np.array([0])
    c = np.concatenate([[0.0], np.cumsum(frame_vad)])
    means = (c[CROP_FRAMES:] - c[:-CROP_FRAMES]) / CROP_FRAMES
    ok = np.flatnonzero(means >= min_speech)
    return ok if len(ok) else np.array([int(means.argmax())])


def crop(lm: torch.Tensor, start: int) -> torch.Tensor:
    x = lm[:, start : start + CROP_FRAMES]
    if x.shape[1] < CROP_FRAMES:
        x = F.pad(x, (0, CROP_FRAMES - x.shape[1]), value=float(lm.min()))
    return x - x.mean()


def train_baseline(train: list[dict], val: list[dict]) -> dict:
    """Logistic regression on MFCC statistics; returns validation metrics."""
    xtr = torch.from_numpy(np.stack([it["stats"] for it in train])).double()
    ytr = torch.tensor([it["label"] for it in train])
    xva = torch.from_numpy(np.stack([it["stats"] for it in val])).double()
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-8
    xtr, xva = (xtr - mu) / sd, (xva - mu) / sd
    w = torch.zeros(xtr.shape[1], len(EMOTIONS), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(EMOTIONS), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")
    l2 = 1e-2

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xtr @ w + b, ytr) + l2 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    pred = (xva @ w + b).argmax(1).tolist()
    return classification_metrics(
        [EMOTIONS[it["label"]] for it in val], [EMOTIONS[p] for p in pred], EMOTIONS
    )


class _Trained(VoiceClassifier):
    """The CNN being trained, behind the classifier interface (for validation)."""

    name = "voice-cnn (training)"

    def __init__(self, model: VoiceCNN) -> None:
        super().__init__(torch.device("cpu"), 32)
        self.model = model

    def _forward(self, windows: list[np.ndarray]) -> np.ndarray:
        with torch.inference_mode():
            return torch.softmax(self.model(torch.from_numpy(np.stack(windows))), 1).numpy()


def validate(model: VoiceCNN, val: list[dict], detector: SpeechDetector) -> dict:
    model.eval()
    clf, settings = _Trained(model), VoiceSettings()
    predicted = [file_prediction(analyze_signal(it["wave"], settings, clf, detector)) for it in val]
    return classification_metrics([EMOTIONS[it["label"]] for it in val], predicted, EMOTIONS)


def train_cnn(train: list[dict], epochs: int, crops_per_file: int, rng) -> VoiceCNN:
    model = VoiceCNN()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    steps_per_epoch = -(-len(train) * crops_per_file // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=3e-3, total_steps=epochs * steps_per_epoch, pct_start=0.2
    )
    labels = np.array([it["label"] for it in train])
    counts = np.bincount(labels, minlength=len(EMOTIONS))
    class_w = torch.tensor(counts.sum() / (len(EMOTIONS) * counts), dtype=torch.float32)
    starts = [crop_starts(it["frame_vad"], 0.5) for it in train]
    for epoch in range(epochs):
        model.train()
        t0, total = time.perf_counter(), 0.0
        order = rng.permutation(np.repeat(np.arange(len(train)), crops_per_file))
        for s in range(0, len(order), 32):
            idx = order[s : s + 32]
            xs = []
            for i in idx:
                x = crop(train[i]["logmel"], int(rng.choice(starts[i]))).clone()
                f0 = rng.integers(0, 64 - 8)  # SpecAugment: one band and one time mask
                x[f0 : f0 + rng.integers(0, 9)] = 0.0
                t_0 = rng.integers(0, CROP_FRAMES - 20)
                x[:, t_0 : t_0 + rng.integers(0, 21)] = 0.0
                xs.append(x)
            logits = model.classify(torch.stack(xs))
            y = torch.from_numpy(labels[idx])
            loss = F.cross_entropy(logits, y, weight=class_w, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        log.info(
            "epoch %d/%d: loss %.3f (%.1f s)",
            epoch + 1,
            epochs,
            total / len(order),
            time.perf_counter() - t0,
        )
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/ravdess_speech_16k")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "emohelpers/analysis/voice/classifiers/voice_cnn.pth"
    )
    ap.add_argument("--metrics", type=Path, default=None, help="also write the JSON here")
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--crops-per-file", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    detector = SpeechDetector()
    items = load_corpus(args.data, detector)
    train = [it for it in items if it["actor"] not in VAL_ACTORS]
    val = [it for it in items if it["actor"] in VAL_ACTORS]
    log.info(
        "%d files: %d train (actors 01-14), %d validation (actors %s); %.0f s",
        len(items),
        len(train),
        len(val),
        VAL_ACTORS,
        time.perf_counter() - t0,
    )
    baseline = train_baseline(train, val)
    log.info(
        "baseline (LR on MFCC stats): accuracy %.3f, macro F1 %.3f",
        baseline["accuracy"],
        baseline["macro_f1"],
    )
    model = train_cnn(train, args.epochs, args.crops_per_file, rng)
    cnn = validate(model, val, detector)
    log.info("voice-cnn: accuracy %.3f, macro F1 %.3f", cnn["accuracy"], cnn["macro_f1"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".part")
    torch.save({"state_dict": model.state_dict(), "emotions": list(EMOTIONS)}, tmp)
    tmp.replace(args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    log.info("weights: %s (%d bytes), sha256 %s", args.out, args.out.stat().st_size, digest)
    result = {
        "data": str(args.data),
        "train_actors": sorted({it["actor"] for it in train}),
        "val_actors": list(VAL_ACTORS),
        "n_train": len(train),
        "n_val": len(val),
        "epochs": args.epochs,
        "seed": SEED,
        "seconds": round(time.perf_counter() - t0, 1),
        "weights_sha256": digest,
        "cnn": cnn,
        "baseline": baseline,
    }
    if args.metrics:
        atomic_write_json(args.metrics, result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
