"""Train the default voice model's head (voice-whisper) on RAVDESS speech, reproducibly.

    nice python tools/train_voice_model.py [--data ../shared/data/ravdess_speech_16k]
        [--out emohelpers/analysis/voice/classifiers/whisper_head.npz] [--metrics FILE.json]

Data: RAVDESS speech, actors 01-18, 16 kHz mono FLAC (Livingstone & Russo 2018, PLoS ONE
13(5): e0196391; CC BY-NC-SA 4.0; the trained head inherits these terms). The eight RAVDESS
emotions map onto the seven: calm -> neutral, fearful -> fear, surprised -> surprise.

Features are made exactly as the voice channel makes them (`analyze_signal` with the default
settings: silero VAD, 2 s windows, 1 s hop, speech windows at mean VAD >= 0.5, one Whisper
encoder pass per stretch of touching speech windows, each window the mean and std of the
20 ms states it covers, less the mean state at its position). The per-position means are
measured first, without labels, on 10 s stretches of RAVDESS speech joined end to end (every
third file). The head: standardisation + multinomial logistic regression
(L2, L-BFGS, class-balanced), trained on every speech window with its file's label.

Speaker-independent validation: six folds of three actors (01-03, 04-06, ..., 16-18); each
fold's head is trained on the other 15 actors and scores the fold's files as
`evaluate-voice` does (mean of the file's speech-window probabilities, argmax; a file without
a speech window counts wrong). Mean and spread over folds are printed, with the pooled
per-class recall and confusion matrix (every file scored once, by the head that never heard
its actor). The committed head is then trained on all 18 actors. Deterministic: no random
numbers at all; encoder states are cached in --cache. Prints figures; the last line is JSON.
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
from emohelpers.analysis.voice.classifiers.voice_whisper import (  # noqa: E402
    NAME,
    LinearHead,
    WhisperVoiceClassifier,
)
from emohelpers.analysis.voice.vad import SpeechDetector  # noqa: E402
from emohelpers.analysis.voice.whisper import STRETCH_S, WhisperEncoder  # noqa: E402
from emohelpers.core.atomic import atomic_write_json  # noqa: E402
from emohelpers.core.voice_settings import VoiceSettings  # noqa: E402
from emohelpers.summaries.metrics import classification_metrics  # noqa: E402

log = logging.getLogger("train_voice_model")

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
FOLDS = tuple(tuple(range(a, a + 3)) for a in range(1, 19, 3))
L2 = 1e-2
CACHE_NAME = "ravdess_whisper_features_v2.npz"


class _Capture(VoiceClassifier):
    """The voice channel's stretches, captured: the pooled features of every window."""

    name = "capture"
    stretch_n = WhisperVoiceClassifier.stretch_n

    def __init__(self, encoder: WhisperEncoder, position_mean: np.ndarray) -> None:
        super().__init__(torch.device("cpu"), 32)
        self.encoder, self.position_mean = encoder, position_mean
        self.features: list[np.ndarray] = []

    def _forward(self, windows):
        raise NotImplementedError  # the channel only calls predict_stretch on this model

    def predict_stretch(self, samples, bounds):
        self.features.append(self.encoder.window_features(samples, bounds, self.position_mean))
        return np.full((len(bounds), len(EMOTIONS)), 1.0 / len(EMOTIONS), dtype=np.float32)


def position_means(encoder: WhisperEncoder, files: list[Path]) -> np.ndarray:
    """(500, 512) mean encoder state per position over 10 s stretches of the files' speech
    joined end to end."""
    audio = np.concatenate([read_audio(p)[0] for p in files])
    n = int(STRETCH_S * 16000)
    states = [encoder.encode(audio[i : i + n]) for i in range(0, len(audio) - n + 1, n)]
    log.info("position means from %d stretches of %.0f s", len(states), STRETCH_S)
    return np.mean(states, axis=0).astype(np.float32)


def load_corpus(folder: Path, cache: Path | None) -> dict:
    """Every file's actor, label and speech-window features (cached in `cache`)."""
    files = sorted(folder.glob("Actor_*/*.flac"))
    if not files:
        raise SystemExit(f"{folder}: no Actor_*/*.flac files; pass --data")
    names = [f"{p.parent.name}/{p.name}" for p in files]
    if cache and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            if list(z["names"]) == names:
                log.info("encoder features from %s", cache)
                return {k: z[k] for k in z.files}
    encoder = WhisperEncoder()
    position_mean = position_means(encoder, files[::3])
    det, cap, settings = SpeechDetector(), _Capture(encoder, position_mean), VoiceSettings()
    feats, owner, t0, audio_s = [], [], time.perf_counter(), 0.0
    for i, path in enumerate(files):
        x, _ = read_audio(path)
        audio_s += len(x) / 16000
        cap.features = []
        analyze_signal(x, settings, cap, det)
        f = np.concatenate(cap.features) if cap.features else np.zeros((0, 1024), np.float32)
        feats.append(f)
        owner += [i] * len(f)
        if (i + 1) % 120 == 0:
            log.info("%d/%d files, %.0f s", i + 1, len(files), time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    log.info(
        "encoded %.0f s of audio in %.0f s (%.0fx real time)", audio_s, seconds, audio_s / seconds
    )
    fields = [p.stem.split("-") for p in files]
    data = {
        "names": np.array(names),
        "actor": np.array([int(f[6]) for f in fields]),
        "label": np.array([EMOTIONS.index(RAVDESS_EMOTIONS[f[2]]) for f in fields]),
        "x": np.concatenate(feats),
        "owner": np.array(owner, dtype=np.int64),
        "position_mean": position_mean,
    }
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".part.npz")
        np.savez(tmp, **data)
        tmp.replace(cache)
    return data


def fit_head(x: np.ndarray, y: np.ndarray, position_mean, l2: float = L2) -> LinearHead:
    """Standardisation + class-balanced multinomial logistic regression (L-BFGS, float64)."""
    mean, scale = x.mean(0), x.std(0) + 1e-6
    xt = torch.from_numpy((x - mean) / scale).double()
    yt = torch.from_numpy(y)
    counts = np.bincount(y, minlength=len(EMOTIONS)).astype(np.float64)
    cw = torch.from_numpy(counts.sum() / (len(EMOTIONS) * np.maximum(counts, 1)))
    w = torch.zeros(x.shape[1], len(EMOTIONS), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(EMOTIONS), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xt @ w + b, yt, weight=cw) + l2 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return LinearHead(mean, scale, w.detach().numpy(), b.detach().numpy(), position_mean)


def file_predictions(head: LinearHead, data: dict, files: np.ndarray) -> list[str | None]:
    """`evaluate-voice`'s rule: argmax of the mean speech-window probabilities per file."""
    out: list[str | None] = []
    for i in files:
        rows = data["x"][data["owner"] == i]
        out.append(EMOTIONS[int(head(rows).mean(0).argmax())] if len(rows) else None)
    return out


def cross_validate(data: dict, l2: float) -> dict:
    actor, owner = data["actor"], data["owner"]
    folds, preds = [], np.empty(len(actor), dtype=object)
    for fold in FOLDS:
        test = np.flatnonzero(np.isin(actor, fold))
        train_rows = ~np.isin(actor[owner], fold)
        head = fit_head(
            data["x"][train_rows], data["label"][owner[train_rows]], data["position_mean"], l2
        )
        p = file_predictions(head, data, test)
        preds[test] = p
        m = classification_metrics([EMOTIONS[i] for i in data["label"][test]], p, EMOTIONS)
        folds.append({"actors": list(fold), "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]})
        log.info("fold %s: accuracy %.3f, macro F1 %.3f", fold, m["accuracy"], m["macro_f1"])
    pooled = classification_metrics([EMOTIONS[i] for i in data["label"]], list(preds), EMOTIONS)
    acc = np.array([f["accuracy"] for f in folds])
    f1 = np.array([f["macro_f1"] for f in folds])
    return {
        "folds": folds,
        "accuracy_mean": float(acc.mean()),
        "accuracy_sd": float(acc.std(ddof=1)),
        "macro_f1_mean": float(f1.mean()),
        "macro_f1_sd": float(f1.std(ddof=1)),
        "pooled": pooled,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/ravdess_speech_16k")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "emohelpers/analysis/voice/classifiers/whisper_head.npz"
    )
    ap.add_argument("--metrics", type=Path, default=None, help="also write the JSON here")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path.home() / ".cache/emohelpers/train" / CACHE_NAME,
        help="encoder features cache (delete it to re-encode)",
    )
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = load_corpus(args.data, args.cache)
    n_files = len(data["actor"])
    log.info("%d files, %d speech windows", n_files, len(data["x"]))
    cv = cross_validate(data, args.l2)
    log.info(
        "speaker-independent (6 folds of 3 actors): accuracy %.3f +- %.3f, macro F1 %.3f +- %.3f",
        cv["accuracy_mean"],
        cv["accuracy_sd"],
        cv["macro_f1_mean"],
        cv["macro_f1_sd"],
    )
    recall = {k: round(v["recall"], 3) for k, v in cv["pooled"]["per_class"].items()}
    log.info("pooled recall (every file scored by a head that never heard its actor): %s", recall)
    head = fit_head(data["x"], data["label"][data["owner"]], data["position_mean"], args.l2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".part")
    head.save(tmp, model=NAME, emotions=",".join(EMOTIONS), l2=str(args.l2))
    tmp.replace(args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    log.info("head: %s (%d bytes), sha256 %s", args.out, args.out.stat().st_size, digest)
    result = {
        "data": str(args.data),
        "actors": sorted({int(a) for a in data["actor"]}),
        "n_files": n_files,
        "n_windows": int(len(data["x"])),
        "l2": args.l2,
        "seconds": round(time.perf_counter() - t0, 1),
        "head_sha256": digest,
        "cv": cv,
    }
    if args.metrics:
        atomic_write_json(args.metrics, result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
