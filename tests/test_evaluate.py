"""Tests of summaries.evaluate (pure scoring), report.evaluation_io (its files) and
`emohelpers evaluate[-images]` on small written fixtures."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from emohelpers.analysis.table import EMOTIONS, Analysis
from emohelpers.cli import evaluate_cmd
from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.figures import summary_figures as F
from emohelpers.report import evaluation_io as eio
from emohelpers.summaries import evaluate as ev
from emohelpers.summaries.evaluate_images import evaluate_images
from tests.helpers import make_table, steady_rows, two_persons_table

# Lines 2..10 of GOLDEN; the comments give the prediction each must get.
GOLDEN = """clip,start_s,end_s,person,label,note
clipA,0,1,,happy,main person of window 0: P1 and P2 tie on 2 frames -> P1 -> happy
clipA,0,1,2,sad,P2 -> sad
clipA,1,2,,neutral,frames without a face -> no prediction
clipA,,,1,happy,votes happy/neutral/angry tie -> higher mean -> happy
clipB,,,,anger,synonym of angry; clipB -> angry
clipC,,,,happy,no analysis of clipC -> no prediction
clipB,0,0.5,,sad,angry
clipA,4,5,2,sad,P2 not in the window -> no prediction
clipA,10,20,,fear,no analysed frame -> no prediction
"""


_clip_a = two_persons_table


@pytest.fixture
def analyses(tmp_path: Path) -> Path:
    """outputs/clipA and outputs/nested/clipB, saved analyses with their video paths."""
    root = tmp_path / "outputs"
    Analysis(_clip_a(), {"video": {"path": "/videos/clipA.mp4"}}).save(root / "clipA")
    clip_b = make_table(steady_rows(1, ["angry", "angry", "sad"]))
    Analysis(clip_b, {"video": {"path": "videos/clipB.mov"}}).save(root / "nested" / "clipB")
    return root


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    path = tmp_path / "golden.csv"
    path.write_text(GOLDEN)
    return path


def test_evaluate_hand_computed(analyses, golden):
    result = eio.evaluate([analyses], golden)
    m = result.metrics
    assert result.task == m["task"] == "emotion"
    assert result.rows["predicted"].fillna("-").tolist() == [
        "happy",
        "sad",
        "-",
        "happy",
        "angry",
        "-",
        "angry",
        "-",
        "-",
    ]
    assert (m["n"], m["n_predicted"], m["n_no_prediction"]) == (9, 5, 4)
    assert m["accuracy"] == pytest.approx(4 / 9)
    assert m["accuracy_predicted"] == pytest.approx(4 / 5)
    # present classes: angry f1 2/3, happy 0.8, sad 0.5, neutral 0, fear 0
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.5) / 5)
    pc = m["per_class"]
    assert pc["angry"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    )
    assert pc["happy"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}
    )
    assert pc["sad"] == pytest.approx({"precision": 1.0, "recall": 1 / 3, "f1": 0.5, "support": 3})
    assert pc["disgust"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    cm = result.confusion
    assert list(cm.columns) == [*EMOTIONS, ev.NO_PREDICTION] and list(cm.index) == list(EMOTIONS)
    assert cm.loc["happy"].to_dict() == {
        **dict.fromkeys(cm.columns, 0),
        "happy": 2,
        "no prediction": 1,
    }
    assert cm.loc["sad", "angry"] == 1 and cm.loc["sad", "no prediction"] == 1
    assert cm.to_numpy().sum() == 9
    assert [(r["line"], r["reason"]) for r in m["no_prediction"]] == [
        (4, "no face in the window"),
        (7, "no analysis of this clip"),
        (9, "no face of person 2 in the window"),
        (10, "no analysed frame in the window"),
    ]
    assert result.rows["person_used"].tolist()[:2] == [1.0, 2.0]
    json.dumps(m)  # JSON-ready


def test_evaluate_valence_labels(analyses, tmp_path):
    path = tmp_path / "valence.csv"
    path.write_text(
        "clip,start_s,end_s,person,label\n"
        "clipA,0,1,1,positive\n"  # happy
        "clipA,0,1,2,negative\n"  # sad: negative by default, neutral in the debate preset
        "clipB,,,,Negative\n"  # angry
        "clipA,4,5,,neutral\n"  # angry .5 / fear .5: negative (debate: angry by vote)
    )
    default = eio.evaluate(analyses / "clipA", path).metrics  # clipB not given: no prediction
    assert default["task"] == "valence" and default["classes"] == [
        "positive",
        "neutral",
        "negative",
    ]
    assert default["n_predicted"] == 3 and default["accuracy"] == pytest.approx(2 / 4)
    both = [analyses / "clipA", analyses / "nested"]
    debate = eio.evaluate(both, path, mapping="debate")
    assert debate.rows["predicted"].tolist() == ["positive", "neutral", "negative", "negative"]
    # verdict from mean probabilities: P1 at t 4 has 0.5 angry + 0.5 fear; debate: score -0.5
    verdict = eio.evaluate(both, path, mapping="debate", valence_by="verdict", margin=0.6)
    # margin 0.6: clipB (2/3 negative) stays negative, P1 at t 4 (-0.5) comes out neutral
    assert verdict.rows["predicted"].tolist() == ["positive", "neutral", "negative", "neutral"]


def test_dominant_by_mean(analyses, tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("clip,start_s,end_s,label\nclipA,0,1,happy\n")
    table = _clip_a()
    assert ev.predict_one(table, 0.0, 1.0, 1.0, dominant="mean") == ("happy", 1.0, 2, None)
    assert ev.predict_one(table, task="emotion") == ("happy", 1.0, 3, None)
    r = eio.evaluate(analyses, path, dominant="mean")
    assert r.rows["predicted"].tolist() == ["happy"]


@pytest.mark.parametrize(
    "text, error",
    [
        ("clip,start_s\nclipA,1\n", r"line 1: missing columns \['label'\]"),
        ("", r"missing columns \['clip', 'label'\]"),
        ("clip,label\n", "no golden rows"),
        ("clip,label\nclipA,happy\nclipA,hapy\n", r"line 3: label 'hapy' is not an emotion label"),
        (
            "clip,label\nclipA,happy\nclipB,positive\n",
            "line 3: label 'positive' is not an emotion label",
        ),
        ("clip,label\n,happy\n", "line 2: empty clip or label"),
        ("clip,label,start_s\nclipA,happy,1\n", "line 2: give both start_s and end_s"),
        ("clip,label,start_s,end_s\nclipA,happy,2,1\n", "start_s=2.0 is not before end_s=1.0"),
        ("clip,label,start_s,end_s\nclipA,happy,-1,1\n", "start_s='-1' is not a number >= 0"),
        ("clip,label,start_s,end_s\nclipA,happy,a,1\n", "start_s='a'"),
        ("clip,label,person\nclipA,happy,abc\n", "line 2: person='abc'"),
        ("clip,label,person\nclipA,happy,1.5\n", "person=1.5 is not a track id"),
    ],
)
def test_golden_errors_name_file_and_line(tmp_path, text, error):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SchemaError, match=error) as info:
        eio.read_golden(path)
    assert str(path) in str(info.value)


def test_golden_task_choice_bom_and_synonyms(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("\ufeffclip , label\nclipA,Happiness\nclipA,neutral\n")
    rows, task = eio.read_golden(path)
    assert task == "emotion" and rows["label"].tolist() == ["happy", "neutral"]
    assert rows["line"].tolist() == [2, 3] and rows["person"].isna().all()
    path.write_text("clip,label\nclipA,neutral\n")
    assert eio.read_golden(path, task="valence")[1] == "valence"
    assert eio.read_golden(path)[1] == "emotion"  # neutral alone: the emotion
    with pytest.raises(SchemaError, match="not an emotion label"):
        path.write_text("clip,label\nclipA,positive\n")
        eio.read_golden(path, task="emotion")
    with pytest.raises(ParameterError, match="task='both'"):
        eio.read_golden(path, task="both")
    with pytest.raises(SchemaError, match="cannot read"):
        eio.read_golden(tmp_path / "missing.csv")


def test_reading_a_golden_csv_never_imports_torch(golden):
    code = (
        "import sys\n"
        "from emohelpers.report import evaluation_io\n"
        "from emohelpers.summaries import evaluate\n"
        f"rows, task = evaluation_io.read_golden({str(golden)!r})\n"
        "assert task == 'emotion' and len(rows) == 9, (task, len(rows))\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_scoring_is_pure_tables_in_an_evaluation_out(analyses, golden):
    rows, task = eio.read_golden(golden)
    tables = {"clipA": _clip_a(), "clipB": make_table(steady_rows(1, ["angry", "angry", "sad"]))}
    before = {k: t.copy() for k, t in tables.items()}
    result = ev.score(rows, tables, task)
    assert result.rows["predicted"].fillna("-").tolist() == [
        "happy",
        "sad",
        "-",
        "happy",
        "angry",
        "-",
        "angry",
        "-",
        "-",
    ]
    assert result.metrics == eio.evaluate(analyses, golden).metrics
    for k, t in tables.items():
        pd.testing.assert_frame_equal(t, before[k])
    with pytest.raises(ParameterError, match="dominant='most'"):
        ev.score(rows, tables, task, dominant="most")


def test_find_predictions(analyses, tmp_path):
    found = eio.find_predictions([analyses])
    assert found == {"clipA": analyses / "clipA", "clipB": analyses / "nested" / "clipB"}
    assert eio.find_predictions([analyses / "clipA"]) == {"clipA": analyses / "clipA"}
    with pytest.raises(SchemaError, match="not a folder"):
        eio.find_predictions([tmp_path / "nowhere"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SchemaError, match="no emotions.parquet"):
        eio.find_predictions([tmp_path / "empty"])
    Analysis(_clip_a(), {"video": {"path": "/other/clipA.mp4"}}).save(tmp_path / "again")
    with pytest.raises(SchemaError, match="'clipA' is analysed twice"):
        eio.find_predictions([analyses, tmp_path / "again"])
    Analysis(_clip_a(), {"clip": "x"}).save(tmp_path / "noprov")
    with pytest.raises(SchemaError, match="cannot read video.path"):
        eio.find_predictions([tmp_path / "noprov"])


@pytest.mark.parametrize(
    "golden, predicted, error",
    [
        (["a"], ["a", "b"], "golden has 1 labels but predicted 2"),
        (["c"], ["a"], "label 'c'"),
        (["a"], [ev.NO_PREDICTION], "label 'no prediction'"),
    ],
)
def test_metrics_errors(golden, predicted, error):
    with pytest.raises(ParameterError, match=error):
        ev.classification_metrics(golden, predicted, ["a", "b"])


def test_metrics_all_missing_and_empty():
    m = ev.classification_metrics(["a", "b"], [None, None], ["a", "b"])
    assert (m["accuracy"], m["accuracy_predicted"], m["macro_f1"]) == (0.0, None, 0.0)
    empty = ev.classification_metrics([], [], ["a"])
    assert (empty["n"], empty["accuracy"], empty["macro_f1"]) == (0, None, None)


def test_evaluation_save_and_cli(analyses, golden, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    evaluate_cmd.add_parser(parser.add_subparsers())
    out = tmp_path / "eval"
    args = parser.parse_args(["evaluate", str(analyses), str(golden), "--out", str(out)])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "accuracy: 0.444 (of predicted rows: 0.800)" in text
    assert "line 7 (clipC): no analysis of this clip" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_no_prediction"] == 4
    cm = pd.read_csv(out / "confusion.csv", index_col=0)
    assert cm.loc["happy", "happy"] == 2 and cm.loc["fear", "no prediction"] == 1
    assert len(pd.read_csv(out / "rows.csv")) == 9
    args = parser.parse_args(
        ["evaluate", str(analyses / "clipA"), str(tmp_path / "x"), str(golden)]
    )
    with pytest.raises(SchemaError, match="x: not a folder"):
        args.func(args)
    args = parser.parse_args(["evaluate", str(analyses), str(golden), "--json"])
    args.func(args)
    assert json.loads(capsys.readouterr().out)["n"] == 9
    fig = F.confusion_figure(eio.evaluate(analyses, golden).confusion, normalize=True)
    assert fig.data[0].z.shape == (7, 8) and list(fig.data[0].x)[-1] == ev.NO_PREDICTION


# -- evaluate-images ------------------------------------------------------------------------
class FakeClassifier:
    """Predicts the emotion whose index is the image's top-left red value // 30."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, crops):
        assert all(c.mode == "RGB" for c in crops)
        self.calls.append(len(crops))
        idx = [np.asarray(c)[0, 0, 0] // 30 for c in crops]
        return np.eye(len(EMOTIONS), dtype=np.float32)[idx]


def _image(path: Path, emotion: str, mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    value = EMOTIONS.index(emotion) * 30 + 5
    Image.new(mode, (8, 8), value if mode == "L" else (value, 0, 0)).save(path)


@pytest.fixture
def faces(tmp_path: Path) -> Path:
    root = tmp_path / "faces"
    _image(root / "happy" / "a.png", "happy")
    _image(root / "happy" / "b.jpg", "happy", mode="L")  # gray files reach predict as RGB
    _image(root / "happy" / "c.png", "sad")
    _image(root / "anger" / "a.png", "angry")
    _image(root / "sadness" / "a.bmp", "sad")
    _image(root / "loose.png", "fear")  # not in a label folder: ignored
    (root / "happy" / "notes.txt").write_text("not an image")
    (root / ".cache").mkdir()
    return root


def test_evaluate_images_hand_computed(faces):
    fake = FakeClassifier()
    r = evaluate_images(faces, fake, chunk=2)
    assert fake.calls == [2, 2, 1]
    assert (r["classifier"], r["n"], r["accuracy"]) == ("fake", 5, 0.8)
    assert r["recall"] == pytest.approx({"angry": 1.0, "happy": 2 / 3, "sad": 1.0})
    # f1: angry 1, happy 0.8, sad 2/3 (precision 0.5)
    assert r["macro_f1"] == pytest.approx((1 + 0.8 + 2 / 3) / 3)
    m = np.array(r["confusion"]["matrix"])
    assert m[EMOTIONS.index("happy"), EMOTIONS.index("sad")] == 1 and m.sum() == 5
    assert r["skipped"] == []
    # One-hot outputs: confidence 1 everywhere, 4 of 5 right.
    assert r["ece"] == pytest.approx(0.2)
    json.dumps(r)


def test_evaluate_images_unknown_folders_and_bad_inputs(faces, tmp_path):
    _image(faces / "contempt" / "a.png", "happy")
    with pytest.raises(SchemaError, match="label folder 'contempt'"):
        evaluate_images(faces, FakeClassifier())
    r = evaluate_images(faces, FakeClassifier(), skip_unknown=True)
    assert r["skipped"] == ["contempt"] and r["n"] == 5
    (faces / "happy" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(SchemaError, match="broken.jpg: cannot read"):
        evaluate_images(faces, FakeClassifier(), skip_unknown=True)
    (tmp_path / "none" / "happy").mkdir(parents=True)
    with pytest.raises(SchemaError, match="no images"):
        evaluate_images(tmp_path / "none", FakeClassifier())
    with pytest.raises(SchemaError, match="not a folder"):
        evaluate_images(tmp_path / "absent", FakeClassifier())

    class Wrong(FakeClassifier):
        def predict(self, crops):
            return np.zeros((len(crops), 5))

    (faces / "happy" / "broken.jpg").unlink()
    with pytest.raises(SchemaError, match=r"shape \(5, 5\)"):
        evaluate_images(faces, Wrong(), skip_unknown=True)


def test_evaluate_images_cli(faces, tmp_path, capsys, monkeypatch):
    import emohelpers.analysis.classifiers as classifiers

    seen = {}

    def fake_loader(model, device="auto", batch_size=None):
        seen.update(model=model, device=device, batch_size=batch_size)
        return FakeClassifier()

    monkeypatch.setattr(classifiers, "load_classifier", fake_loader)
    parser = argparse.ArgumentParser()
    evaluate_cmd.add_parser(parser.add_subparsers())
    out = tmp_path / "img"
    argv = ["evaluate-images", str(faces), "--model", "m", "--device", "cpu", "--out", str(out)]
    args = parser.parse_args([*argv, "--batch-size", "4"])
    assert args.func(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["accuracy"] == 0.8 and seen == {"model": "m", "device": "cpu", "batch_size": 4}
    assert json.loads((out / "metrics.json").read_text()) == printed
    assert pd.read_csv(out / "confusion.csv", index_col=0).loc["happy", "happy"] == 2


# -- the real offline model on real face crops -----------------------------------------------
@pytest.mark.slow
def test_image_evaluation_preprocesses_crops_as_video_analysis_does(tmp_path):
    """Crops of the sample clip, saved as PNG in folders named after the emotion the video
    analysis found: evaluate-images must find the same emotions (same preprocessing). The
    labels are the model's own, so this cannot catch a wrong model: accuracy against labels
    made by a person is `classifiers/test_hand_labelled_accuracy.py`."""
    from emohelpers.analysis.classifiers import load_classifier
    from emohelpers.analysis.detect import DetectorSettings, crop_faces
    from emohelpers.analysis.pipeline import analyze
    from emohelpers.analysis.video import iter_frames
    from emohelpers.core.assets import sample_clip

    clip = sample_clip("WolfgangLanger_Pexels.mp4")
    mini = load_classifier("mini-xception", "cpu")
    table, _ = analyze(clip, classifier=mini, every_n=24, end_s=6.0, progress=False)
    faces = table.dropna(subset=["face"])
    assert len(faces) >= 4
    margin = DetectorSettings().margin
    for f in iter_frames(clip, every_n=24, end_s=6.0):
        rows = faces[faces["frame"] == f.index]
        crops = crop_faces(f.rgb, rows[["x1", "y1", "x2", "y2"]].to_numpy(), margin)
        for (_, row), crop in zip(rows.iterrows(), crops, strict=True):
            path = tmp_path / "crops" / row["emotion"] / f"{f.index}_{int(row['face'])}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(crop).save(path)
    result = evaluate_images(tmp_path / "crops", mini)
    assert result["classifier"] == "mini-xception"
    assert result["n"] == len(faces) and result["accuracy"] == 1.0

    Analysis(table, {"video": {"path": str(clip)}}).save(tmp_path / "out")
    # one golden row per analysed face, in a window around its frame: all must agree
    lines = ["clip,start_s,end_s,person,label"] + [
        f"WolfgangLanger_Pexels,{r.time_s},{r.time_s + 0.01},{r.person:g},{r.emotion}"
        for r in faces.itertuples()
    ]
    (tmp_path / "g.csv").write_text("\n".join([*lines, "other,,,,happy"]) + "\n")
    metrics = eio.evaluate(tmp_path / "out", tmp_path / "g.csv").metrics
    assert (metrics["n_predicted"], metrics["n_no_prediction"]) == (len(faces), 1)
    assert metrics["accuracy_predicted"] == 1.0


@pytest.mark.notebooks
def test_evaluate_notebook(analyses, golden, tmp_path):
    import papermill as pm

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "evaluate.ipynb"
    out = tmp_path / "evaluation"
    params = {"predictions": [str(analyses)], "golden_csv": str(golden), "out_dir": str(out)}
    executed = pm.execute_notebook(
        str(notebook),
        str(tmp_path / "run.ipynb"),
        parameters=params,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    last = executed.cells[-1].outputs[-1]["data"]["text/plain"]  # the key figures
    assert "'n_no_prediction': 4" in last and "'accuracy': 0.444" in last
    assert json.loads((out / "metrics.json").read_text())["n"] == 9
    html = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("Confusion matrix" in str(o.get("data", {}).get("text/html", "")) for o in html)
