"""Section "voice" of the per-clip report: what the voice says, beside the faces.

The voice timeline on the faces' time axis with the transcript under it, the voice's mean
radar beside the main person's face radar, and per window whether face and voice agree
(`summaries.agreement`). A clip without sound, with a broken sound track or where nobody
speaks gets a section that says so; it never fails the report.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from emohelpers.analysis.table import EMOTIONS, Analysis
from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.figures import voice_figures
from emohelpers.figures.theme import person_label
from emohelpers.report.parameters import ReportParameters
from emohelpers.report.verdicts import for_verdicts
from emohelpers.summaries.agreement import agreement, agreement_rates, voice_dominant
from emohelpers.summaries.clip_summary import NOT_ANALYSED
from emohelpers.summaries.summary import main_person

log = logging.getLogger(__name__)


def _note(text: str) -> None:
    display(Markdown(f"*{text}*"))


def _why_no_voice(analysis: Analysis) -> str | None:
    """Why there is nothing to show, in one sentence; None when there is speech."""
    block, voice = analysis.provenance.voice, analysis.voice
    status = block.get("status") or NOT_ANALYSED
    if voice is None:
        if status == VoiceStatus.OFF:
            return (
                "The voice channel was off for this analysis (`--no-voice`, parameter "
                "`voice_enabled = False`)."
            )
        return "This analysis has no voice table: run it again with the voice channel on."
    if status == VoiceStatus.NO_AUDIO:
        return "This clip has no sound track: there is no voice to analyse."
    if voice["emotion"].notna().any():
        return None
    settings = block.get("settings") or {}
    if voice.empty:
        return "The sound track held no sound to analyse in the analysed time range."
    return (
        f"Nobody speaks in the analysed sound: {len(voice)} windows of "
        f"{settings.get('window_s', '?')} s, none with a mean speech probability of at "
        f"least {settings.get('min_speech_prob', '?')}. No voice emotion to show; windows "
        "without speech are never read as *neutral*."
    )


def _show_transcript(analysis: Analysis, duration: float | None) -> None:
    """What was said, under the voice timeline (or one line saying why not)."""
    transcript = analysis.transcript
    if transcript is None:
        _note(
            "No transcript for this analysis (parameter `voice_transcript = False`, "
            "`--no-transcript`, or an analysis made before transcripts)."
        )
        return
    if transcript.empty:
        _note("Whisper-base heard no words in the speech windows: the transcript is empty.")
        return
    langs = ", ".join(sorted(set(transcript["language"].dropna()))) or "?"
    display(
        Markdown(
            f"**What was said** ({len(transcript)} segments, language {langs}; Whisper-base, "
            "times on the timeline's axis; saved as `transcript.parquet`):"
        )
    )
    display(voice_figures.transcript_figure(transcript, duration))
    cols = ["start_s", "end_s", "text", "language", "confidence"]
    display(HTML(transcript[cols].to_html(index=False, float_format="{:.2f}".format, border=0)))


def show_voice(analysis: Analysis, params: ReportParameters) -> dict[str, Any]:
    """Section "voice": the voice over time beside the main person's face, the two mean
    radars, and where face and voice agree. Returns what it showed (empty when nothing)."""
    if "voice" not in params.sections:
        _note("Section `voice` not included (parameter `sections`).")
        return {}
    block = analysis.provenance.voice
    if block.get("status") == VoiceStatus.BROKEN_AUDIO:
        _note(
            f"The sound track could not be read to the end ({block.get('message', '')}); "
            "what follows covers the sound before the break."
        )
    faces, voice = for_verdicts(analysis, params).table, analysis.voice
    why = _why_no_voice(analysis)
    if why or voice is None:  # no voice table: _why_no_voice says why
        _note(why or "This analysis has no voice table.")
        return {}
    settings, clf = block.get("settings") or {}, block.get("classifier") or {}
    speech = voice.dropna(subset=["emotion"])
    display(
        Markdown(
            f"Voice model `{clf.get('name', '?')}`; windows of {settings.get('window_s', '?')} s "
            f"every {settings.get('hop_s', '?')} s; **{len(speech)} of {len(voice)} windows with "
            f"speech** (mean speech probability ≥ {settings.get('min_speech_prob', '?')}); "
            f"the voice's dominant emotion: **{voice_dominant(voice)}**."
        )
    )
    person = main_person(faces)
    duration = analysis.provenance.video.get("duration_s")
    display(voice_figures.face_voice_timeline_figure(faces, voice, person, duration))
    _show_transcript(analysis, duration)
    mine = faces[faces["person"] == person]
    face_mean = mine[list(EMOTIONS)].mean().to_numpy() if len(mine) else np.full(7, np.nan)
    display(
        voice_figures.face_voice_radar_figure(
            face_mean, speech[list(EMOTIONS)].mean().to_numpy(), person
        )
    )
    agreed = agreement(faces, voice, person, params.valence_mapping)
    rates = agreement_rates(agreed)
    if rates["compared"] == 0:
        who = person_label(person) if not np.isnan(person) else "any person"
        _note(f"No window has both speech and a face of {who}: nothing to compare.")
        return {"agreement": agreed, "rates": rates}
    n = rates["compared"]
    display(
        Markdown(
            f"**Face ({person_label(person)}) and voice agree** on the dominant emotion in "
            f"{round(rates['emotion_rate'] * n)} of {n} windows with both "
            f"({rates['emotion_rate']:.0%}), on the valence (mapping `{params.valence_mapping}`) "
            f"in {round(rates['valence_rate'] * n)} ({rates['valence_rate']:.0%}). The face side "
            "of a window is the mean of the person's frames inside it."
        )
    )
    display(voice_figures.agreement_figure(agreed))
    shown = agreed[agreed["same_emotion"].notna()]
    cols = ["start_s", "end_s", "voice_emotion", "face_emotion", "same_emotion", "same_valence"]
    display(HTML(shown[cols].to_html(index=False, float_format="{:.2f}".format, border=0)))
    return {"agreement": agreed, "rates": rates, "table": pd.DataFrame(shown[cols])}
