"""Train the project's face-expression model (emo-vgg) on FER2013, reproducibly and resumably.

    python tools/train_face_model.py [--data ../shared/data/fer2013] [--epochs 60]
        [--checkpoint tools/checkpoints/face_model.ckpt] [--export FILE.pth] [--threads N]
        [--device auto|cpu|cuda]

Data: FER2013 (Goodfellow et al. 2013; research-only terms; the model inherits them), the
image-folder copy in `../shared/data/fer2013`: `train/<label>/*.jpg` (28,709) and
`public_test/<label>/*.jpg` (3,589). A stratified, seeded part of `train/` (`--holdout`) is
held out: the temperature is fitted on it; `public_test` is never trained on nor used for any
choice (fixed schedule, the last epoch's EMA weights are the model) and gives the validation
figures.

Recipe (every number is an argument, and all of them go into the checkpoint and the exported
model's metadata): SGD with Nesterov momentum, one-epoch linear warm-up then cosine decay,
weight decay, label smoothing, CutMix or Mixup on part of the batches, an exponential moving
average (EMA) of the weights; augmentation on whole batches: random affine (rotation, scale,
translation, horizontal flip), photometric changes (brightness, contrast, gamma: dim and
low-contrast faces are in the training distribution; the per-image normalisation of the
model's preprocessing then removes what is linear), Gaussian noise, random erasing. Evaluation
averages the crop and its mirror image (test-time augmentation, also used at inference).

Reproducible: each epoch's data order and augmentation come from generators seeded by
(seed, epoch), so a run resumed from its checkpoint gives the same weights as an unbroken one
on the same device and thread count. Resumable: the checkpoint (weights, EMA, optimiser,
history; no data) is written atomically after every epoch; rerunning the same command goes on
from it. bf16 autocast on CPUs with AVX512-BF16 / AMX, and on CUDA.

The last line printed is JSON with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emohelpers.analysis.classifiers.face_net import (  # noqa: E402
    INPUT_PX,
    EmoVGG,
    normalise,
)
from emohelpers.core.emotions import EMOTIONS  # noqa: E402
from emohelpers.summaries.calibration import (  # noqa: E402
    expected_calibration_error as ece,
)
from emohelpers.summaries.calibration import reliability  # noqa: E402

log = logging.getLogger("train_face_model")

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fer2013"
DEFAULT_CKPT = ROOT / "tools" / "checkpoints" / "face_model.ckpt"
DEFAULT_EXPORT = ROOT / "emohelpers" / "analysis" / "classifiers" / "face_model.pth"
#: Arguments that change the result; a checkpoint made with other values is not resumed.
RECIPE_KEYS = (
    "seed",
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "weight_decay",
    "warmup_epochs",
    "label_smoothing",
    "mix_prob",
    "mixup_alpha",
    "cutmix_alpha",
    "ema_decay",
    "width",
    "dropout",
    "holdout",
    "rotate_deg",
    "scale",
    "translate",
    "erase_prob",
    "gamma",
    "brightness",
    "contrast",
    "noise",
)


# -- data ------------------------------------------------------------------------------
def load_split(folder: Path, cache: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """Every `<label>/*.jpg` of a FER2013 split as (N, 48, 48) uint8 and (N,) int64 labels."""
    if cache is not None and cache.exists():
        z = np.load(cache)
        return z["x"], z["y"]
    xs, ys = [], []
    for k, label in enumerate(EMOTIONS):
        files = sorted((folder / label).glob("*.jpg"))
        if not files:
            raise SystemExit(f"{folder / label}: no .jpg files; pass --data (the fer2013 folder)")
        for f in files:
            img = Image.open(f).convert("L")
            if img.size != (INPUT_PX, INPUT_PX):
                img = img.resize((INPUT_PX, INPUT_PX), Image.Resampling.BILINEAR)
            xs.append(np.asarray(img))
            ys.append(k)
    x, y = np.stack(xs), np.asarray(ys, dtype=np.int64)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.npz")
        np.savez(tmp, x=x, y=y)
        tmp.replace(cache)
    return x, y


def stratified_holdout(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask of the held-out images: `fraction` of each class, seeded."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for k in np.unique(y):
        idx = np.flatnonzero(y == k)
        n = int(round(len(idx) * fraction))
        mask[rng.choice(idx, size=n, replace=False)] = True
    return mask


# -- augmentation (whole batches, one generator) --------------------------------------------
def _uniform(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return torch.rand(n, generator=g) * (hi - lo) + lo


def augment(x: torch.Tensor, a: argparse.Namespace, g: torch.Generator) -> torch.Tensor:
    """A (N, 1, 48, 48) float batch in [0, 1] -> augmented and normalised."""
    n = x.shape[0]
    angle = _uniform(g, n, -a.rotate_deg, a.rotate_deg) * math.pi / 180
    scale = _uniform(g, n, 1 - a.scale, 1 + a.scale)
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    tx = _uniform(g, n, -a.translate, a.translate) * 2
    ty = _uniform(g, n, -a.translate, a.translate) * 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    # Photometric: gamma (dim faces), then contrast and brightness, then sensor noise.
    gamma = torch.exp(_uniform(g, n, -math.log(a.gamma), math.log(a.gamma))).view(n, 1, 1, 1)
    x = x.clamp(1e-4, 1).pow(gamma)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = _uniform(g, n, 1 - a.contrast, 1 + a.contrast).view(n, 1, 1, 1)
    bright = _uniform(g, n, -a.brightness, a.brightness).view(n, 1, 1, 1)
    x = ((x - mean) * contrast + mean + bright).clamp(0, 1)
    x = x + torch.randn(x.shape, generator=g) * _uniform(g, n, 0, a.noise).view(n, 1, 1, 1)
    x = normalise(x.clamp(0, 1))
    # Random erasing: one rectangle of noise per chosen image.
    erase = torch.rand(n, generator=g) < a.erase_prob
    for i in torch.nonzero(erase).flatten().tolist():
        area = float(_uniform(g, 1, 0.02, 0.25)) * INPUT_PX * INPUT_PX
        ratio = math.exp(float(_uniform(g, 1, math.log(0.3), math.log(3.3))))
        h = min(INPUT_PX, int(round(math.sqrt(area * ratio))))
        w = min(INPUT_PX, int(round(math.sqrt(area / ratio))))
        top = int(torch.randint(0, INPUT_PX - h + 1, (1,), generator=g))
        left = int(torch.randint(0, INPUT_PX - w + 1, (1,), generator=g))
        x[i, :, top : top + h, left : left + w] = torch.randn((1, h, w), generator=g)
    return x


def mix(
    x: torch.Tensor, y1h: torch.Tensor, a: argparse.Namespace, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix or Mixup (half and half) on a batch with probability `mix_prob`."""
    if float(torch.rand(1, generator=g)) >= a.mix_prob:
        return x, y1h
    perm = torch.randperm(x.shape[0], generator=g)
    if float(torch.rand(1, generator=g)) < 0.5:
        lam = float(
            np.random.default_rng(int(torch.randint(0, 2**31, (1,), generator=g))).beta(
                a.cutmix_alpha, a.cutmix_alpha
            )
        )
        h = int(INPUT_PX * math.sqrt(1 - lam))
        cy = int(torch.randint(0, INPUT_PX, (1,), generator=g))
        cx = int(torch.randint(0, INPUT_PX, (1,), generator=g))
        y0, y1 = max(cy - h // 2, 0), min(cy + h // 2, INPUT_PX)
        x0, x1 = max(cx - h // 2, 0), min(cx + h // 2, INPUT_PX)
        x = x.clone()
        x[:, :, y0:y1, x0:x1] = x[perm, :, y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (INPUT_PX * INPUT_PX)
    else:
        lam = float(
            np.random.default_rng(int(torch.randint(0, 2**31, (1,), generator=g))).beta(
                a.mixup_alpha, a.mixup_alpha
            )
        )
        x = lam * x + (1 - lam) * x[perm]
    return x, lam * y1h + (1 - lam) * y1h[perm]


# -- evaluation --------------------------------------------------------------------------
@torch.inference_mode()
def logits_of(
    model: torch.nn.Module, x: np.ndarray, device: torch.device, amp: bool, tta: bool = True
) -> np.ndarray:
    """(N, 48, 48) uint8 -> (N, 7) float64 logits (mean of crop and mirror when `tta`)."""
    model.eval()
    out = []
    for i in range(0, len(x), 512):
        b = normalise(torch.from_numpy(x[i : i + 512]).float().div(255).unsqueeze(1)).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            z = model(b).float()
            if tta:
                z = (z + model(torch.flip(b, dims=[3])).float()) / 2
        out.append(z.cpu().double().numpy())
    return np.concatenate(out)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T that minimises the NLL of softmax(logits / T) (held-out data)."""
    z, t = torch.from_numpy(logits), torch.from_numpy(y)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(z / log_t.exp(), t)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.exp())


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def figures(logits: np.ndarray, y: np.ndarray, temperature: float) -> dict:
    """Accuracy, macro F1, per-class recall/precision/F1, confusion matrix, ECE before/after."""
    pred = logits.argmax(1)
    cm = np.zeros((7, 7), dtype=int)
    np.add.at(cm, (y, pred), 1)
    recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
    precision = cm.diagonal() / np.maximum(cm.sum(0), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "macro_f1": float(f1.mean()),
        "per_class": {
            e: {
                "recall": float(recall[k]),
                "precision": float(precision[k]),
                "f1": float(f1[k]),
                "n": int(cm[k].sum()),
            }
            for k, e in enumerate(EMOTIONS)
        },
        "confusion": cm.tolist(),
        "ece_before": ece(softmax(logits), y),
        "ece_after": ece(softmax(logits / temperature), y),
        "reliability_after": reliability(softmax(logits / temperature), y),
    }


# -- training ----------------------------------------------------------------------------
def lr_at(step: float, steps_per_epoch: int, a: argparse.Namespace) -> float:
    warm = a.warmup_epochs * steps_per_epoch
    total = a.epochs * steps_per_epoch
    if step < warm:
        return a.lr * (step + 1) / warm
    return 0.5 * a.lr * (1 + math.cos(math.pi * (step - warm) / max(total - warm, 1)))


def atomic_save(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def recipe(a: argparse.Namespace) -> dict:
    return {k: getattr(a, k) for k in RECIPE_KEYS}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CKPT)
    p.add_argument("--export", type=Path, default=DEFAULT_EXPORT)
    p.add_argument("--metrics", type=Path, default=ROOT / "docs" / "face_model_metrics.json")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "emohelpers" / "fer")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--stop-after", type=int, default=0, help="stop after N epochs this run")
    p.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    p.add_argument(
        "--export-only",
        action="store_true",
        help="export the checkpoint's EMA weights now (calibrated, with figures); no training",
    )
    p.add_argument(
        "--save-weights-only",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the checkpoint's weights (model and EMA, float16, no optimiser state: "
        "about 10 MB) to PATH, the form committed to resume in another session; no training",
    )
    p.add_argument(
        "--resume-from",
        type=Path,
        default=None,
        metavar="PATH",
        help="when --checkpoint does not exist: go on from a weights-only file "
        "(--save-weights-only); the optimiser's momentum starts again from zero",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--mix-prob", type=float, default=0.5)
    p.add_argument("--mixup-alpha", type=float, default=0.4)
    p.add_argument("--cutmix-alpha", type=float, default=1.0)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--holdout", type=float, default=0.08)
    p.add_argument("--rotate-deg", type=float, default=15.0)
    p.add_argument("--scale", type=float, default=0.15)
    p.add_argument("--translate", type=float, default=0.1)
    p.add_argument("--erase-prob", type=float, default=0.5)
    p.add_argument("--gamma", type=float, default=2.0, help="gamma drawn in [1/g, g], log-uniform")
    p.add_argument("--brightness", type=float, default=0.25)
    p.add_argument("--contrast", type=float, default=0.5)
    p.add_argument("--noise", type=float, default=0.04)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)

    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    )
    if a.bf16 == "auto":
        flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
        amp = device.type == "cuda" or "avx512_bf16" in flags or "amx_bf16" in flags
    else:
        amp = a.bf16 == "on"

    x_all, y_all = load_split(a.data / "train", a.cache / "train.npz")
    x_test, y_test = load_split(a.data / "public_test", a.cache / "public_test.npz")
    held = stratified_holdout(y_all, a.holdout, a.seed)
    x_tr, y_tr, x_ho, y_ho = x_all[~held], y_all[~held], x_all[held], y_all[held]
    log.info(
        "train %d, held out %d, public_test %d; device %s, bf16 %s, threads %d",
        len(y_tr),
        len(y_ho),
        len(y_test),
        device,
        amp,
        torch.get_num_threads(),
    )

    torch.manual_seed(a.seed)
    model = (
        EmoVGG(width=a.width, dropout=a.dropout).to(device).to(memory_format=torch.channels_last)
    )
    ema = EmoVGG(width=a.width, dropout=a.dropout).to(device).to(memory_format=torch.channels_last)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    decay, no_decay = [], []
    for prm in model.parameters():
        (no_decay if prm.ndim == 1 else decay).append(prm)
    opt = torch.optim.SGD(
        [
            {"params": decay, "weight_decay": a.weight_decay},
            {"params": no_decay, "weight_decay": 0},
        ],
        lr=a.lr,
        momentum=a.momentum,
        nesterov=True,
    )
    start, history, train_s = 0, [], 0.0
    source = a.checkpoint if a.checkpoint.exists() else a.resume_from
    if source is not None and source.exists():
        ck = torch.load(source, map_location=device, weights_only=False)
        if ck["recipe"] != recipe(a):
            diff = {
                k: (ck["recipe"].get(k), v)
                for k, v in recipe(a).items()
                if ck["recipe"].get(k) != v
            }
            raise SystemExit(f"{a.checkpoint}: made with another recipe {diff}; move it away")
        model.load_state_dict(
            {k: v.to(model.state_dict()[k].dtype) for k, v in ck["model"].items()}
        )
        ema.load_state_dict({k: v.to(ema.state_dict()[k].dtype) for k, v in ck["ema"].items()})
        if "opt" in ck:  # a weights-only file has none: momentum starts from zero
            opt.load_state_dict(ck["opt"])
        start, history, train_s = ck["epoch"], ck["history"], ck.get("train_s", 0.0)
        log.info("resumed from %s after epoch %d", source, start)
    if a.save_weights_only is not None:
        if source is None or not source.exists():
            raise SystemExit(f"{a.checkpoint}: no checkpoint to save the weights of")
        half = {
            k: {
                n: t.detach().cpu().half() if t.is_floating_point() else t.cpu()
                for n, t in sd.items()
            }
            for k, sd in (("model", model.state_dict()), ("ema", ema.state_dict()))
        }
        blob = {"recipe": recipe(a), "epoch": start, "history": history, "train_s": train_s}
        atomic_save(blob | half | {"weights_only": True}, a.save_weights_only)
        log.info("wrote the weights after epoch %d to %s", start, a.save_weights_only)
        return 0

    steps = len(y_tr) // a.batch_size
    xt = torch.from_numpy(x_tr)
    yt = torch.from_numpy(y_tr)
    done_this_run = 0
    for epoch in range(start, start if a.export_only else a.epochs):
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(a.seed * 100_003 + epoch)
        order = torch.randperm(len(yt), generator=g)
        model.train()
        loss_sum = 0.0
        for s in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(epoch * steps + s, steps, a)
            idx = order[s * a.batch_size : (s + 1) * a.batch_size]
            xb = augment(xt[idx].float().div(255).unsqueeze(1), a, g)
            yb = F.one_hot(yt[idx], 7).float()
            yb = yb * (1 - a.label_smoothing) + a.label_smoothing / 7
            xb, yb = mix(xb, yb, a, g)
            xb = xb.to(device).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(xb)
            loss = torch.sum(-yb.to(device) * F.log_softmax(logits.float(), 1), 1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                d = min(a.ema_decay, (1 + epoch * steps + s) / (10 + epoch * steps + s))
                for pe, pm in zip(ema.parameters(), model.parameters(), strict=True):
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
                for be, bm in zip(ema.buffers(), model.buffers(), strict=True):
                    be.copy_(bm)
            loss_sum += float(loss)
        epoch_s = time.perf_counter() - t0
        train_s += epoch_s
        acc_ho = float((logits_of(ema, x_ho, device, amp).argmax(1) == y_ho).mean())
        acc_te = float((logits_of(ema, x_test, device, amp).argmax(1) == y_test).mean())
        history.append(
            {
                "epoch": epoch + 1,
                "loss": loss_sum / steps,
                "holdout_acc": acc_ho,
                "public_test_acc": acc_te,
                "seconds": epoch_s,
            }
        )
        log.info(
            "epoch %d/%d loss %.4f held-out %.4f public_test %.4f (%.0f s, %.0f img/s)",
            epoch + 1,
            a.epochs,
            loss_sum / steps,
            acc_ho,
            acc_te,
            epoch_s,
            steps * a.batch_size / epoch_s,
        )
        atomic_save(
            {
                "recipe": recipe(a),
                "epoch": epoch + 1,
                "model": model.state_dict(),
                "ema": ema.state_dict(),
                "opt": opt.state_dict(),
                "history": history,
                "train_s": train_s,
            },
            a.checkpoint,
        )
        done_this_run += 1
        if a.stop_after and done_this_run >= a.stop_after and epoch + 1 < a.epochs:
            log.info(
                "stopping after %d epochs this run (--stop-after); rerun to go on", done_this_run
            )
            return 0

    # The model: the last epoch's EMA weights; temperature fitted on the held-out images.
    z_ho = logits_of(ema, x_ho, device, amp)
    temperature = fit_temperature(z_ho, y_ho)
    z_te = logits_of(ema, x_test, device, amp)
    report = {
        "model": "emo-vgg",
        "recipe": recipe(a),
        "temperature": temperature,
        "train_images": int(len(y_tr)),
        "train_seconds": round(train_s, 1),
        "device": str(device),
        "bf16": amp,
        "threads": torch.get_num_threads(),
        "holdout": figures(z_ho, y_ho, temperature),
        "public_test": figures(z_te, y_test, temperature),
        "public_test_no_tta_accuracy": float(
            (logits_of(ema, x_test, device, amp, tta=False).argmax(1) == y_test).mean()
        ),
        "history": history,
    }
    state = {
        k: v.detach().cpu().half() if v.is_floating_point() else v.cpu()
        for k, v in ema.state_dict().items()
    }
    meta = {
        "labels": list(EMOTIONS),
        "width": a.width,
        "input_px": INPUT_PX,
        "temperature": temperature,
        "tta_flip": True,
        "recipe": recipe(a),
        "public_test_accuracy": report["public_test"]["accuracy"],
    }
    atomic_save({"state_dict": state, "meta": meta}, a.export)
    report["weights_sha256"] = sha256(a.export)
    a.metrics.parent.mkdir(parents=True, exist_ok=True)
    a.metrics.write_text(json.dumps(report, indent=1) + "\n")
    log.info(
        "exported %s (sha256 %s); figures in %s", a.export, report["weights_sha256"], a.metrics
    )
    summary = {k: report[k] for k in ("temperature", "train_seconds", "weights_sha256")}
    summary |= {
        "public_test_accuracy": report["public_test"]["accuracy"],
        "public_test_macro_f1": report["public_test"]["macro_f1"],
        "ece_before": report["public_test"]["ece_before"],
        "ece_after": report["public_test"]["ece_after"],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
