"""The offline model against labels that do not come from any model: faces of the sample
clips labelled by a person looking at the frames (`fixtures/hand_labelled_faces.csv`).

The labels were made from 160 px crops of every 12th frame (the analysis below, every_n=12),
choosing only faces whose expression is unambiguous: broad open smiles (happy), relaxed
faces looking at the camera (neutral), crying with knitted brows and a pulled-down mouth
(sad, WolfgangLanger_Pexels.mp4 frames 24-48). Hands over the face, transitions and eyes-
closed moments were left out. 17 faces: 10 happy, 4 neutral, 3 sad.

Measured (mini-xception, 2026-11-23): 14 of 17 right, 82.4%: happy 10/10, neutral 4/4,
sad 0/3 (the crying face is read as happy, 0.47-0.96). emo-vgg (2026-12-04): 15 of 17,
88.2%: happy 10/10, neutral 4/4, sad 1/3 (frame 48 read as sad; 24 and 36 as happy). Each
floor is set just under its model's figure.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hand_labelled_faces.csv"
EVERY_N = 12  # every labelled frame is a multiple: the analysis visits each of them
#: The floor per model, set just under what it measured: one more miss fails.
ACCURACY_FLOOR = {
    "mini-xception": 0.80,  # measured 14/17 = 0.824 (13/17 = 0.765 fails)
    "emo-vgg": 0.85,  # measured 15/17 = 0.882 (14/17 = 0.824 fails)
}


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(ACCURACY_FLOOR))
def test_offline_model_accuracy_on_hand_labelled_faces(sample_dir, model):
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.analysis.table import EMOTIONS

    labels = pd.read_csv(FIXTURE)
    assert set(labels["label"]) <= set(EMOTIONS) and (labels["frame"] % EVERY_N == 0).all()
    found = []
    for clip, rows in labels.groupby("clip"):
        table, _ = analyze(sample_dir / clip, model=model, every_n=EVERY_N, progress=False)
        got = rows.merge(table, on=["frame", "person"], how="left")
        assert got["emotion"].notna().all(), f"{clip}: a labelled face was not found"
        found.append(got)
    got = pd.concat(found)
    accuracy = float((got["emotion"].astype(str) == got["label"]).mean())
    assert len(got) == len(labels) == 17
    assert accuracy >= ACCURACY_FLOOR[model], got[["clip", "frame", "label", "emotion"]]
    per_label = got.assign(ok=got["emotion"].astype(str) == got["label"]).groupby("label")["ok"]
    assert per_label.mean()["happy"] == 1.0  # clear smiles: the model's strong suit
