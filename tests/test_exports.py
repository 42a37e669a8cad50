"""Exports (issue 21): CSV, ELAN (EAF 3.0) and subtitles of a real analysis and a real corpus,
each read back: the CSV with pandas, the EAF with lxml (its structure as the EAF 3.0 schema
lays it out; the XSD itself ships in no package) and with pympi-ling's ELAN reader, the SRT
with a SubRip parser of its own."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from emohelpers.analysis.table import EMOTIONS
from emohelpers.exports.annotations import person_tiers
from tests.cast_media import cast_photo
from tests.late_start import make_late_start_clip

NAME = "Zoë K."  # not ASCII: the files are UTF-8
SETTINGS = {"model": "mini-xception", "every_n": 4}


@pytest.fixture(scope="module")
def clip_dir(sample_dir, tmp_path_factory):
    """A clip with sound and a cut (the woman, then the man), analysed with a cast naming her."""
    from emohelpers.analysis.analyzer import Analyzer

    root = tmp_path_factory.mktemp("exports")
    video = make_late_start_clip(sample_dir, root / "late.mp4")
    cast_photo(sample_dir / "WolfgangLanger_Pexels.mp4", 1.0, root / "cast" / NAME / "a.jpg")
    analysis = Analyzer(progress=False, cast=str(root / "cast"), **SETTINGS)(video)
    assert analysis.voice is not None and set(analysis.table["name"].dropna()) == {NAME}
    return analysis.save(root / "clip")


def test_csv_round_trips_the_tables_and_the_provenance(clip_dir, tmp_path):
    from emohelpers import export
    from emohelpers.analysis.table import Analysis

    written = export(clip_dir, "csv", tmp_path)
    assert {p.name for p in written} == {
        "emotions.csv",
        "voice.csv",
        "persons.csv",
        "provenance.json",
    }
    saved = Analysis.load(clip_dir)
    back = pd.read_csv(tmp_path / "emotions.csv", encoding="utf-8")
    assert list(back.columns) == list(saved.table.columns)
    assert len(back) == len(saved.table)
    numbers = ["frame", "time_s", "shot", "face", "person", "det_prob", *EMOTIONS]
    np.testing.assert_allclose(
        back[numbers].to_numpy(float), saved.table[numbers].to_numpy(float), rtol=1e-12
    )
    assert back["name"].fillna("").tolist() == saved.table["name"].fillna("").tolist()
    assert NAME in (tmp_path / "emotions.csv").read_text(encoding="utf-8")
    voice = pd.read_csv(tmp_path / "voice.csv")
    np.testing.assert_allclose(voice["start_s"], saved.voice["start_s"], rtol=1e-12)
    want = saved.voice["emotion"].astype("string").fillna("").tolist()
    assert voice["emotion"].astype("string").fillna("").tolist() == want
    persons = pd.read_csv(tmp_path / "persons.csv")
    assert "descriptor" not in persons and persons["name"].dropna().tolist() == [NAME]
    prov = json.loads((tmp_path / "provenance.json").read_text(encoding="utf-8"))
    for key in ("created_utc", "exported_utc"):
        assert dt.datetime.fromisoformat(prov[key]).tzinfo is not None
    assert prov["video"]["sha256"] == saved.provenance.video_sha256


def test_elan_has_a_tier_per_person_shots_and_voice_and_reads_back(clip_dir, tmp_path):
    from lxml import etree
    from pympi.Elan import Eaf

    from emohelpers.analysis.table import Analysis
    from emohelpers.exports import export

    (path,) = export(clip_dir, "elan", tmp_path, window_s=0.5)
    assert path.name == "late.eaf"
    root = etree.parse(str(path)).getroot()
    assert root.tag == "ANNOTATION_DOCUMENT" and root.get("FORMAT") == "3.0"
    xsi = "{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation"
    assert root.get(xsi) == "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"
    dt.datetime.fromisoformat(root.get("DATE"))
    # The element order the EAF 3.0 schema's sequence demands.
    order = [c.tag for c in root]
    assert order[:2] == ["HEADER", "TIME_ORDER"]
    first_type = order.index("LINGUISTIC_TYPE")
    assert set(order[2:first_type]) == {"TIER"}
    assert set(order[first_type + 1 :]) == {"CONSTRAINT"}
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) for s in root.iter("TIME_SLOT")}
    ids = [a.get("ANNOTATION_ID") for a in root.iter("ALIGNABLE_ANNOTATION")]
    assert len(ids) == len(set(ids))
    for a in root.iter("ALIGNABLE_ANNOTATION"):
        assert slots[a.get("TIME_SLOT_REF1")] < slots[a.get("TIME_SLOT_REF2")]
    types = {t.get("LINGUISTIC_TYPE_ID") for t in root.iter("LINGUISTIC_TYPE")}
    assert {t.get("LINGUISTIC_TYPE_REF") for t in root.iter("TIER")} <= types
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    assert media.get("MEDIA_URL").endswith("/late.mp4")

    eaf = Eaf(str(path))  # ELAN's own format read by a third-party reader
    analysis = Analysis.load(clip_dir)
    persons = person_tiers(analysis.table, 0.5)
    assert set(eaf.get_tier_names()) == {*persons, "shots", "voice"}
    assert f"{NAME} (P1)" in persons and "P2" in persons
    for tier, intervals in persons.items():
        got = sorted(eaf.get_annotation_data_for_tier(tier))
        want = [(round(i.start_s * 1000), round(i.end_s * 1000), i.value) for i in intervals]
        assert [tuple(g[:3]) for g in got] == want and want
    shots = sorted(eaf.get_annotation_data_for_tier("shots"))
    assert [s[2] for s in shots] == ["shot 0", "shot 1"]  # the cut from her to him
    voice = sorted(eaf.get_annotation_data_for_tier("voice"))
    speech = analysis.voice[analysis.voice["emotion"].notna()]
    assert [v[2] for v in voice] == speech["emotion"].tolist()


SRT_CUE = re.compile(
    r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n((?:.+\n?)+)"
)


def parse_srt(text: str) -> list[tuple[int, float, float, list[str]]]:
    cues = []
    for block in text.strip().split("\n\n"):
        m = SRT_CUE.fullmatch(block.strip())
        assert m, f"not a SubRip cue: {block!r}"
        g = m.groups()
        start = int(g[1]) * 3600 + int(g[2]) * 60 + int(g[3]) + int(g[4]) / 1000
        end = int(g[5]) * 3600 + int(g[6]) * 60 + int(g[7]) + int(g[8]) / 1000
        cues.append((int(g[0]), start, end, g[9].strip().split("\n")))
    return cues


def test_subtitles_show_each_persons_dominant_emotion_per_window(clip_dir, tmp_path):
    from emohelpers.analysis.table import Analysis
    from emohelpers.exports import export

    (path,) = export(clip_dir, "srt", tmp_path)
    cues = parse_srt(path.read_text(encoding="utf-8"))
    assert [c[0] for c in cues] == list(range(1, len(cues) + 1))
    persons = person_tiers(Analysis.load(clip_dir).table, 1.0)
    want: dict[tuple[float, float], list[str]] = {}
    for label, intervals in persons.items():
        for i in intervals:
            want.setdefault((round(i.start_s, 3), round(i.end_s, 3)), []).append(
                f"{label}: {i.value}"
            )
    assert {(round(s, 3), round(e, 3)): lines for _, s, e, lines in cues} == want
    assert any(line.startswith(f"{NAME} (P1): ") for c in cues for line in c[3])
    assert all(c[1] < c[2] for c in cues)


def test_the_command_line_exports_and_refuses_a_folder_without_an_analysis(clip_dir, tmp_path):
    run = [sys.executable, "-m", "emohelpers", "-q", "export"]
    ok = subprocess.run(
        [*run, str(clip_dir), "--format", "srt", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "o" / "late.srt").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = subprocess.run([*run, str(empty)], capture_output=True, text=True, timeout=300)
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 1 and len(lines) == 1 and "neither an analysis folder" in lines[0]


def test_a_corpus_exports_one_table_and_one_file_per_clip(sample_dir, tmp_path):
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs
    from emohelpers.corpus.task import TaskSettings
    from emohelpers.exports import export

    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("single_face.mp4", "no_face.mp4"):
        shutil.copy(sample_dir / name, videos / name)
    out = tmp_path / "corpus"
    settings = TaskSettings(analysis={"model": "mini-xception", "every_n": 8})
    assert run_corpus(read_inputs([videos]), out, settings, workers=0, progress=False).ok
    export(out, "csv")
    table = pd.read_csv(out / "export" / "emotions.csv")
    assert set(table["clip"]) == {"single_face", "no_face"}
    faces = table[table["face"].notna()]
    assert set(faces["corpus_person"]) == {1} and set(faces["clip"]) == {"single_face"}
    assert set(pd.read_csv(out / "export" / "clips.csv")["clip"]) == {"single_face", "no_face"}
    assert (out / "export" / "clips" / "no_face" / "provenance.json").is_file()
    files = export(out, "elan")
    assert sorted(p.name for p in files) == ["no_face.eaf", "single_face.eaf"]
