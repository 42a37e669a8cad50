"""The report's section "voice" under papermill: a clip with a face and speech, and a clip
without a sound track (the section says so; the report never fails)."""

from __future__ import annotations

import json

import pytest

from emohelpers.analysis.table import EMOTIONS

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


@pytest.fixture(scope="module")
def voice_reports(face_speech_clip, silent_video, tmp_path_factory):
    from emohelpers.core.settings import AnalysisSettings
    from emohelpers.report.run import run_reports

    out = tmp_path_factory.mktemp("voice-reports")
    settings = AnalysisSettings.from_flat(model="mini-xception", every_n=12)
    results = run_reports(
        [face_speech_clip, silent_video], out, settings, sections=["clip", "voice"], progress=False
    )
    return out, results


def test_section_with_speech_and_a_face(voice_reports):
    out, (speech, _) = voice_reports
    assert speech.ok, speech.error
    key = json.loads((speech.folder / "key_figures.json").read_text())
    # the default voice model is voice-whisper since issue 20 (was voice-cnn)
    assert key["voice_status"] == "ok" and key["voice_model"] == "voice-whisper"
    assert key["voice_dominant"] in EMOTIONS and key["voice_speech_windows"] >= 5
    assert 0 <= key["voice_agreement"] <= 1 and 0 <= key["voice_valence_agreement"] <= 1
    assert (speech.folder / "voice.parquet").is_file()
    assert (speech.folder / "transcript.parquet").is_file()
    page = speech.report.read_text()
    assert "What was said" in page and "transcript.parquet" in page  # under the timeline
    for text in (
        "What the voice says",
        "Face and voice over time",
        "Mean expression: face and voice",
        "and voice agree</strong> on the dominant emotion",
        "same_valence",
    ):
        assert text in page, text
    index = (out / "index.html").read_text()
    assert "<th>voice</th>" in index and f"<td>{key['voice_dominant']}</td>" in index


def test_section_without_sound_says_so(voice_reports):
    out, (_, silent) = voice_reports
    assert silent.ok, silent.error
    key = silent.key_figures
    assert key["voice_status"] == "no audio" and key["voice_dominant"] is None
    assert key["voice_agreement"] is None and key["voice_windows"] == 0
    assert "This clip has no sound track" in silent.report.read_text()
    assert "<i>no audio</i>" in (out / "index.html").read_text()
