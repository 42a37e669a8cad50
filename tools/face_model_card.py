"""The figures of docs/face_model.md, made from the training run's metrics file.

    python tools/face_model_card.py [--metrics docs/face_model_metrics.json]
        [--png docs/face_model_reliability.png]

Prints the model card's figure sections as Markdown (accuracy, macro F1, per-class recall,
precision and F1, the confusion matrix, calibration before and after temperature scaling, the
training curve) and writes the reliability diagram as a PNG (Plotly + kaleido). Paste the
Markdown into docs/face_model.md between its `<!-- figures -->` markers, or pass `--write`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emohelpers.core.emotions import EMOTIONS  # noqa: E402

START, END = "<!-- figures -->", "<!-- /figures -->"


def markdown(m: dict) -> str:
    te, ho = m["public_test"], m["holdout"]
    lines = [
        f"- FER2013 `public_test` (n = {te['n']:,}, never trained on): **accuracy "
        f"{te['accuracy']:.2%}**, macro F1 {te['macro_f1']:.3f} (mirror-averaged; one pass "
        f"without the mirror: {m['public_test_no_tta_accuracy']:.2%}).",
        f"- Held-out training images (n = {ho['n']:,}, the temperature's data): accuracy "
        f"{ho['accuracy']:.2%}.",
        f"- Calibration on `public_test`: ECE {te['ece_before']:.4f} before, "
        f"**{te['ece_after']:.4f} after** temperature scaling (T = {m['temperature']:.3f}, "
        "15 equal-width bins).",
        f"- Training: {m['train_seconds'] / 60:.0f} min on {m['device']} "
        f"({m['threads']} threads, bf16 {'on' if m['bf16'] else 'off'}), "
        f"{m['recipe']['epochs']} epochs.",
        "",
        "| class | n | recall | precision | F1 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for e in EMOTIONS:
        c = te["per_class"][e]
        lines.append(
            f"| {e} | {c['n']} | {c['recall']:.1%} | {c['precision']:.1%} | {c['f1']:.3f} |"
        )
    lines += ["", "Confusion matrix (`public_test`; rows: true, columns: predicted):", ""]
    lines.append("| true \\ predicted | " + " | ".join(EMOTIONS) + " |")
    lines.append("| --- |" + " ---: |" * len(EMOTIONS))
    for e, row in zip(EMOTIONS, te["confusion"], strict=True):
        lines.append(f"| {e} | " + " | ".join(str(v) for v in row) + " |")
    lines += ["", "Reliability after scaling (`public_test`):", ""]
    lines += ["| confidence bin | n | mean confidence | accuracy |", "| --- | ---: | ---: | ---: |"]
    for b in te["reliability_after"]:
        lines.append(
            f"| {b['lo']:.2f}-{b['hi']:.2f} | {b['n']} | {b['confidence']:.3f} | "
            f"{b['accuracy']:.3f} |"
        )
    every = max(1, len(m["history"]) // 10)
    lines += ["", "Training curve (EMA weights):", ""]
    lines += ["| epoch | loss | held-out | public_test |", "| ---: | ---: | ---: | ---: |"]
    for h in m["history"][every - 1 :: every]:
        lines.append(
            f"| {h['epoch']} | {h['loss']:.3f} | {h['holdout_acc']:.2%} | "
            f"{h['public_test_acc']:.2%} |"
        )
    return "\n".join(lines)


def reliability_png(m: dict, path: Path) -> None:
    import plotly.graph_objects as go

    bins = m["public_test"]["reliability_after"]
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"dash": "dot"})
    fig.add_scatter(
        x=[b["confidence"] for b in bins],
        y=[b["accuracy"] for b in bins],
        mode="lines+markers",
        name="emo-vgg, scaled",
        text=[f"n = {b['n']}" for b in bins],
    )
    fig.update_layout(
        title="Reliability on FER2013 public_test (after temperature scaling)",
        xaxis_title="mean confidence of the top emotion",
        yaxis_title="accuracy",
        width=560,
        height=460,
        template="plotly_white",
    )
    fig.write_image(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--metrics", type=Path, default=ROOT / "docs" / "face_model_metrics.json")
    p.add_argument("--png", type=Path, default=ROOT / "docs" / "face_model_reliability.png")
    p.add_argument("--write", type=Path, default=None, help="a model card to update in place")
    a = p.parse_args()
    m = json.loads(a.metrics.read_text())
    text = markdown(m)
    reliability_png(m, a.png)
    if a.write:
        card = a.write.read_text()
        new = re.sub(
            re.escape(START) + ".*?" + re.escape(END),
            lambda _: f"{START}\n{text}\n{END}",
            card,
            flags=re.S,
        )
        a.write.write_text(new)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
