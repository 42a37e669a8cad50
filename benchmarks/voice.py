"""Voice channel benchmark: speed (seconds of audio per second of compute) and accuracy.

    python benchmarks/voice.py [--data ../shared/data/ravdess_speech_16k] [--threads 1]
                               [--seconds 120] [--no-accuracy]

Speed: `analyze_voice` on a 16 kHz FLAC of real speech (RAVDESS files of the validation
actors joined end to end; espeak-ng speech when the data is absent), VAD + windows + the
offline voice-cnn, decoding included, and the VAD alone; best of 3 runs, on the CPU.
Target: >= 50x real time on the development machine (2 shared cores).

Accuracy: speaker-independent, on the validation actors 15-18 (`tools/train_voice_model.py`'s
split), voice-cnn through `evaluate_voice`'s path (each file whole, VAD included) beside the
baseline (logistic regression on MFCC statistics, refitted on actors 01-14).

Prints figures; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def _speech(data: Path, seconds: float, folder: Path) -> Path:
    """A FLAC of about `seconds` of real speech."""
    import av

    from emohelpers.analysis.voice.audio import read_audio

    files = sorted(data.glob("Actor_1[5-8]/*.flac")) if data.is_dir() else []
    if files:
        parts, total = [], 0
        for f in files:
            x, _ = read_audio(f)
            parts.append(x)
            total += len(x)
            if total >= seconds * 16000:
                break
        samples = np.concatenate(parts)
    else:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise SystemExit("no RAVDESS folder and no espeak-ng: no speech to time")
        text = "The quick brown fox jumps over the lazy dog, again and again. " * 20
        subprocess.run([exe, "-w", str(folder / "s.wav"), text], check=True)
        samples = read_audio(folder / "s.wav")[0]
        samples = np.tile(samples, int(np.ceil(seconds * 16000 / len(samples))))
    samples = samples[: int(seconds * 16000)]
    out = folder / "speech.flac"
    with av.open(str(out), "w") as container:
        stream = container.add_stream("flac", rate=16000, layout="mono")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        for s in range(0, len(pcm), 4096):
            frame = av.AudioFrame.from_ndarray(pcm[None, s : s + 4096], format="s16", layout="mono")
            frame.sample_rate = 16000
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return out


def _best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def speed(path: Path) -> dict:
    from emohelpers.analysis.voice.analyze import analyze_voice
    from emohelpers.analysis.voice.audio import read_audio
    from emohelpers.analysis.voice.classifiers import load_voice_classifier
    from emohelpers.analysis.voice.vad import SpeechDetector

    det, clf = SpeechDetector(), load_voice_classifier("voice-cnn", "cpu")
    samples, _ = read_audio(path)
    audio_s = len(samples) / 16000
    t_all = _best(lambda: analyze_voice(path, classifier=clf, detector=det))
    t_vad = _best(lambda: det(samples))
    t_dec = _best(lambda: read_audio(path))
    table, prov = analyze_voice(path, classifier=clf, detector=det)
    return {
        "audio_s": round(audio_s, 2),
        "windows": prov["n_windows"],
        "speech_windows": prov["n_speech_windows"],
        "x_realtime_total": round(audio_s / t_all, 1),
        "x_realtime_vad": round(audio_s / t_vad, 1),
        "x_realtime_decode": round(audio_s / t_dec, 1),
        "seconds_total": round(t_all, 3),
    }


def accuracy(data: Path) -> dict:
    import train_voice_model as tv

    from emohelpers.analysis.voice.classifiers.voice_cnn import load_weights
    from emohelpers.analysis.voice.vad import SpeechDetector

    det = SpeechDetector()
    items = tv.load_corpus(data, det)
    train = [it for it in items if it["actor"] not in tv.VAL_ACTORS]
    val = [it for it in items if it["actor"] in tv.VAL_ACTORS]
    cnn = tv.validate(load_weights(), val, det)
    base = tv.train_baseline(train, val)
    keep = ("n", "accuracy", "macro_f1", "n_no_prediction")
    return {
        "val_actors": list(tv.VAL_ACTORS),
        "voice_cnn": {k: cnn[k] for k in keep},
        "baseline_lr_mfcc": {k: base[k] for k in keep},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/ravdess_speech_16k")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-accuracy", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    result = {"threads": args.threads, "device": "cpu"}
    with tempfile.TemporaryDirectory() as tmp:
        result["speed"] = speed(_speech(args.data, args.seconds, Path(tmp)))
    s = result["speed"]
    print(
        f"voice speed ({s['audio_s']} s of speech, {args.threads} thread(s)): "
        f"{s['x_realtime_total']}x real time (decode + VAD + voice-cnn), "
        f"VAD alone {s['x_realtime_vad']}x, decode alone {s['x_realtime_decode']}x"
    )
    if not args.no_accuracy and args.data.is_dir():
        a = result["accuracy"] = accuracy(args.data)
        for name in ("voice_cnn", "baseline_lr_mfcc"):
            print(
                f"{name}: accuracy {a[name]['accuracy']:.3f}, macro F1 {a[name]['macro_f1']:.3f}"
                f" on {a[name]['n']} files of actors {a['val_actors']}"
            )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
