"""Voice channel benchmark: speed (seconds of audio per second of compute) and accuracy.

    python benchmarks/voice.py [--data ../shared/data/ravdess_speech_16k] [--threads 1]
                               [--seconds 120] [--no-accuracy]

Speed: `analyze_voice` on a 16 kHz FLAC of real speech (RAVDESS files of actors 15-18
joined end to end, silences between them included; espeak-ng speech when the data is
absent), decode + VAD + windows + the voice model (default voice-whisper: one Whisper
encoder pass per stretch of speech), transcript off; the VAD and the decoding alone; best of
3 runs, on the CPU. Target: >= 20x real time on the development machine (2 shared cores).
The transcript (Whisper's decoder on the same stretches) is timed apart, once.

Accuracy: voice-whisper's speaker-independent cross-validation (`tools/train_voice_model.py`:
six folds of three unseen actors, mean and spread), and the earlier voice-cnn on its held-out
actors 15-18 (`tools/train_voice_cnn.py`'s split) beside the MFCC baseline.

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


def speed(path: Path, model: str) -> dict:
    from emohelpers.analysis.voice.analyze import analyze_voice, make_transcriber
    from emohelpers.analysis.voice.audio import read_audio
    from emohelpers.analysis.voice.classifiers import load_voice_classifier
    from emohelpers.analysis.voice.vad import SpeechDetector
    from emohelpers.core.voice_settings import VoiceSettings

    det, clf = SpeechDetector(), load_voice_classifier(model, "cpu")
    voice_only = VoiceSettings(model=model, transcript=False)
    samples, _ = read_audio(path)
    audio_s = len(samples) / 16000
    t_all = _best(lambda: analyze_voice(path, voice_only, classifier=clf, detector=det))
    t_vad = _best(lambda: det(samples))
    t_dec = _best(lambda: read_audio(path))
    table, prov = analyze_voice(path, voice_only, classifier=clf, detector=det)
    tr = make_transcriber(clf, clf.device)
    with_text = analyze_voice(
        path, VoiceSettings(model=model), classifier=clf, detector=det, transcriber=tr
    )
    speech_s = float(len(table.dropna(subset=["emotion"]))) * voice_only.hop_s
    t_text = with_text.provenance["transcript"]["seconds"]
    return {
        "model": model,
        "audio_s": round(audio_s, 2),
        "windows": prov["n_windows"],
        "speech_windows": prov["n_speech_windows"],
        "x_realtime_total": round(audio_s / t_all, 1),
        "x_realtime_vad": round(audio_s / t_vad, 1),
        "x_realtime_decode": round(audio_s / t_dec, 1),
        "seconds_total": round(t_all, 3),
        "transcript_segments": len(with_text.transcript),
        "transcript_seconds": round(t_text, 2),
        "x_realtime_transcript": round(audio_s / t_text, 1),
        "approx_speech_s": round(speech_s, 1),
    }


def accuracy(data: Path) -> dict:
    import train_voice_cnn as tc
    import train_voice_model as tv

    from emohelpers.analysis.voice.classifiers.voice_cnn import load_weights
    from emohelpers.analysis.voice.vad import SpeechDetector

    keep = ("n", "accuracy", "macro_f1", "n_no_prediction")
    features = tv.load_corpus(data, Path.home() / ".cache/emohelpers/train" / tv.CACHE_NAME)
    cv = tv.cross_validate(features, tv.L2)
    det = SpeechDetector()
    items = tc.load_corpus(data, det)
    train = [it for it in items if it["actor"] not in tc.VAL_ACTORS]
    val = [it for it in items if it["actor"] in tc.VAL_ACTORS]
    cnn = tc.validate(load_weights(), val, det)
    base = tc.train_baseline(train, val)
    return {
        "voice_whisper_cv": {
            k: cv[k] for k in ("accuracy_mean", "accuracy_sd", "macro_f1_mean", "macro_f1_sd")
        },
        "voice_whisper_recall": {k: v["recall"] for k, v in cv["pooled"]["per_class"].items()},
        "val_actors": list(tc.VAL_ACTORS),
        "voice_cnn": {k: cnn[k] for k in keep},
        "baseline_lr_mfcc": {k: base[k] for k in keep},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/ravdess_speech_16k")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--model", default="voice-whisper", help="the voice model to time")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    result = {"threads": args.threads, "device": "cpu"}
    with tempfile.TemporaryDirectory() as tmp:
        result["speed"] = speed(_speech(args.data, args.seconds, Path(tmp)), args.model)
    s = result["speed"]
    print(
        f"voice speed ({s['audio_s']} s of speech, {args.threads} thread(s)): "
        f"{s['x_realtime_total']}x real time (decode + VAD + {args.model}), "
        f"VAD alone {s['x_realtime_vad']}x, decode alone {s['x_realtime_decode']}x; "
        f"transcript (measured apart): {s['x_realtime_transcript']}x real time"
    )
    if not args.no_accuracy and args.data.is_dir():
        a = result["accuracy"] = accuracy(args.data)
        cv = a["voice_whisper_cv"]
        print(
            f"voice_whisper: accuracy {cv['accuracy_mean']:.3f} +- {cv['accuracy_sd']:.3f}, "
            f"macro F1 {cv['macro_f1_mean']:.3f} +- {cv['macro_f1_sd']:.3f} "
            "(6 folds of 3 unseen actors)"
        )
        for name in ("voice_cnn", "baseline_lr_mfcc"):
            print(
                f"{name}: accuracy {a[name]['accuracy']:.3f}, macro F1 {a[name]['macro_f1']:.3f}"
                f" on {a[name]['n']} files of actors {a['val_actors']}"
            )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
