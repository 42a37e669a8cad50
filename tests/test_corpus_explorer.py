"""The corpus explorer: filters as a pure function on a clips table, and the widget on a
small real corpus folder (sample clips, the offline model) in the corpus run's layout."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from emohelpers.core.errors import ParameterError, SchemaError
from emohelpers.lab.corpus_explorer import filter_clips, load_clips, metadata_columns


def clips_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "clip": ["debate_01", "debate_02", "lecture_01", "broken"],
            "video": ["/v/d1.mp4", "/v/d2.mp4", "/v/l1.mp4", "/v/b.mp4"],
            "status": ["ok", "ok", "ok", "failed"],
            "face_coverage": [0.9, 0.4, 1.0, None],
            "persons": [2, 1, 1, None],
            "dominant": ["happy", "angry", "neutral", None],
            "verdict": ["positive", "negative", "neutral", None],
            "speaker": ["A", "B", "C", "A"],
            "year": ["2020", "2021", "2021", "2020"],
        }
    ).convert_dtypes()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["debate_01", "debate_02", "lecture_01", "broken"]),
        ({"status": ["ok"]}, ["debate_01", "debate_02", "lecture_01"]),
        ({"status": ["failed"]}, ["broken"]),
        ({"dominant": ["happy", "angry"]}, ["debate_01", "debate_02"]),
        ({"verdict": ["neutral"]}, ["lecture_01"]),
        ({"min_coverage": 0.5}, ["debate_01", "lecture_01"]),  # unknown coverage drops out
        ({"min_persons": 2}, ["debate_01"]),
        ({"name_contains": "DEBATE"}, ["debate_01", "debate_02"]),
        ({"metadata": {"year": ["2021"]}}, ["debate_02", "lecture_01"]),
        ({"metadata": {"speaker": ["A"]}, "status": ["ok"]}, ["debate_01"]),
        ({"metadata": {"speaker": []}}, ["debate_01", "debate_02", "lecture_01", "broken"]),
    ],
)
def test_filter_clips(kwargs, expected):
    clips = clips_table()
    before = clips.copy()
    assert filter_clips(clips, **kwargs)["clip"].tolist() == expected
    pd.testing.assert_frame_equal(clips, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"metadata": {"room": ["1"]}}, "metadata column 'room'"), ({"min_coverage": 2}, "min_cov")],
)
def test_filter_clips_rejects(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        filter_clips(clips_table(), **kwargs)


def test_metadata_columns_and_missing_corpus(tmp_path):
    assert metadata_columns(clips_table()) == ["speaker", "year"]
    with pytest.raises(SchemaError, match="clips.parquet: not found"):
        load_clips(tmp_path)


@pytest.fixture(scope="module")
def corpus(sample_dir, tmp_path_factory):
    from emohelpers.lab.demo_corpus import make_demo_corpus

    videos = [sample_dir / n for n in ("single_face.mp4", "no_face.mp4", "face_noface.mov")]
    bad = tmp_path_factory.mktemp("bad") / "broken.mp4"
    bad.write_bytes(b"not a video" * 100)
    return make_demo_corpus(tmp_path_factory.mktemp("corpus"), [*videos, bad], every_n=8)


@pytest.mark.slow
def test_demo_corpus_follows_the_contract(corpus):
    clips = load_clips(corpus)
    assert clips["clip"].tolist() == ["single_face", "no_face", "face_noface", "broken"]
    assert clips["status"].tolist() == ["ok", "ok", "ok", "failed"]
    assert "cannot be read as a video" in clips["error"].iloc[3]
    assert clips["persons"].iloc[1] == 0 and pd.isna(clips["dominant"].iloc[1])
    for clip in clips["clip"].iloc[:3]:
        assert (corpus / "clips" / clip / "emotions.parquet").is_file()
        assert (corpus / "clips" / clip / "provenance.json").is_file()
    assert metadata_columns(clips) == ["container", "source"]


@pytest.mark.slow
def test_corpus_explorer_filters_and_opens_a_clip(corpus):
    pytest.importorskip("ipywidgets")
    from emohelpers.lab.corpus_explorer import CorpusExplorer
    from emohelpers.lab.explorer import ClipExplorer

    ex = CorpusExplorer(corpus)
    assert "<b>4</b> of 4" in ex.count.value and ex.pick.options == (
        "single_face",
        "no_face",
        "face_noface",
    )
    ex._filters["container"].value = "mov"
    assert ex.shown["clip"].tolist() == ["face_noface"] and ex.pick.value == "face_noface"
    assert "face_noface" in ex.table.value and "single_face" not in ex.table.value
    ex._filters["container"].value = "(any)"
    ex._filters["status"].value = "failed"
    assert ex.pick.options == () and ex.pick.value is None
    with pytest.raises(ParameterError, match="not a finished clip"):
        ex.open("broken")
    opened = ex.open("single_face")
    assert isinstance(opened, ClipExplorer) and len(ex.output.outputs) == 1
    assert opened.video.name == "single_face.mp4" and opened.image.value


@pytest.mark.notebooks
@pytest.mark.slow
def test_corpus_notebook_runs_headless(corpus, tmp_path):
    import nbformat
    import papermill as pm

    from emohelpers.report.run import kernel_name

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "corpus_explore.ipynb"
    out = tmp_path / "corpus_explore.ipynb"
    params = {"corpus_dir": str(corpus)}
    pm.execute_notebook(
        str(notebook),
        str(out),
        params,
        kernel_name=kernel_name(),
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = nbformat.read(out, as_version=4)
    widgets = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widgets) == 1  # the corpus explorer; the clip opens inside it, drawn once
    assert nb.cells[-1].outputs == [], nb.cells[-1].outputs


@pytest.mark.slow
def test_opening_a_clip_says_it_is_loading_before_the_explorer_appears(corpus):
    pytest.importorskip("ipywidgets")
    from emohelpers.lab.corpus_explorer import CorpusExplorer

    ex = CorpusExplorer(corpus)
    seen: list[tuple] = []
    ex.output.observe(lambda change: seen.append(change["new"]), names="outputs")
    ex.open("single_face")
    shown = [o for outputs in seen for o in outputs]
    assert shown and "loading single_face" in str(seen[0]), seen[:2]
    assert len(ex.output.outputs) == 1 and "loading" not in str(ex.output.outputs)


@pytest.mark.slow
def test_a_clip_without_faces_shows_a_note_instead_of_an_empty_radar(corpus):
    pytest.importorskip("ipywidgets")
    from emohelpers.analysis.table import Analysis
    from emohelpers.figures.core_figures import person_radar_figure
    from emohelpers.lab.corpus_explorer import CorpusExplorer, clip_analysis_dir

    ex = CorpusExplorer(corpus)
    opened = ex.open("no_face")

    def widgets(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from widgets(child)

    inside = list(widgets(opened.widget))
    assert opened.radar not in inside
    notes = [w for w in inside if "no face" in str(getattr(w, "value", "")).lower()]
    assert any("radar" in n.value for n in notes), [getattr(w, "value", "") for w in notes]
    table = Analysis.load(clip_analysis_dir(corpus, "no_face")).table
    fig = person_radar_figure(table)
    assert not fig.data and "No face" in fig.layout.annotations[0].text
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


@pytest.mark.slow
def test_the_table_shows_missing_values_as_empty_cells(corpus):
    pytest.importorskip("ipywidgets")
    from emohelpers.lab.corpus_explorer import CorpusExplorer

    ex = CorpusExplorer(corpus)
    assert pd.isna(ex.clips.set_index("clip").loc["no_face", "dominant"])
    assert "NA&gt;" not in ex.table.value and "<NA>" not in ex.table.value
    cells = re.findall(r"<td>(.*?)</td>", ex.table.value)
    assert not {"nan", "NaN", "None", "&lt;NA&gt;"} & set(cells) and "" in cells
