"""Section "findings" of the per-clip report: a short summary per person, before the
evidence (`summaries.findings`): the dominant expression with its interval, the valence
verdict labelled as such, the turning points that are not edits, face coverage and voice
agreement. The same interval texts go into `key_figures.json` and the index page.
"""

from __future__ import annotations

import html
from typing import Any

from IPython.display import HTML, display

from emohelpers.analysis.table import Analysis
from emohelpers.analysis.voice.status import VoiceStatus
from emohelpers.report.parameters import ReportParameters
from emohelpers.report.verdicts import for_verdicts, left_out_text
from emohelpers.summaries.clip_summary import ClipSummary, summarise_analysis
from emohelpers.summaries.findings import (
    PersonFindings,
    clip_turning_points,
    person_findings,
    turning_text,
)
from emohelpers.summaries.intervals import BLOCK_S, LEVEL


def cuts_of(analysis: Analysis) -> list[float]:
    """The clip's shot cuts, seconds (the provenance's `tracker.shots.cuts_s`)."""
    return list(analysis.provenance.tracker.get("shots", {}).get("cuts_s") or [])


def findings(analysis: Analysis, params: ReportParameters) -> list[PersonFindings]:
    """Each person's findings with the report's settings (most seen first), on the faces
    that reach `min_quality`."""
    table = for_verdicts(analysis, params).table
    turns = clip_turning_points(table, params.smooth_s, cuts_of(analysis), params.cut_margin_s)
    return person_findings(
        table, turns, mapping=params.valence_mapping, margin=params.valence_margin
    )


def voice_text(clip: ClipSummary) -> str:
    """What the voice adds to the main person's findings, in one phrase."""
    voice = clip.voice
    if voice is None or voice.status != VoiceStatus.OK:
        return f"voice: {voice.status if voice else 'not analysed'}"
    if not voice.speech_windows:
        return "voice: no speech found in the sound track"
    if voice.agreement is None:
        return "voice: no window with both speech and this face"
    valence = voice.valence_agreement or 0.0
    return (
        f"voice ({voice.speech_windows} windows with speech): face and voice agree on the "
        f"dominant emotion in {voice.agreement:.0%} of the windows with both, on the valence "
        f"in {valence:.0%}"
    )


def findings_figures(people: list[PersonFindings]) -> dict[str, Any]:
    """The findings' key figures, JSON-ready, by person label (index page, tests)."""
    return {
        "dominant_interval": {p.label: p.dominant_text for p in people},
        "dominant_uncertain": {p.label: p.dominant_uncertain for p in people},
        "valence_interval": {p.label: p.valence_text for p in people},
        "valence_uncertain": {p.label: p.valence_uncertain for p in people},
        "turning_points": {p.label: len(p.turns) for p in people},
        "turning_points_at_cut": {p.label: p.turns_at_cut for p in people},
    }


def seek_link(time_s: float, text: str) -> str:
    """A link that seeks the page's player to `time_s` (`page_script`)."""
    return f'<a class="emo-seek" data-emo-seek="{time_s:.3f}">{html.escape(text)}</a>'


def _uncertain(text: str, flag: bool) -> str:
    return f'<span class="emo-uncertain">{html.escape(text)}</span>' if flag else html.escape(text)


def person_card(p: PersonFindings, params: ReportParameters, voice: str | None) -> str:
    """One person's findings as an HTML card."""
    changes = p.turns[p.turns["kind"] == "change"] if len(p.turns) else p.turns
    rises = len(p.turns) - len(changes)
    turns = "; ".join(seek_link(tp.time_s, turning_text(tp)) for tp in changes.itertuples())
    turns = turns or "no lasting change"
    if rises:
        rise_links = ", ".join(
            seek_link(tp.time_s, f"{tp.time_s:.2f} s")
            for tp in p.turns[p.turns["kind"] != "change"].itertuples()
        )
        turns += f"; {rises} sharp rise{'s' if rises > 1 else ''} at {rise_links}"
    if p.turns_at_cut:
        turns += (
            f' <span class="emo-muted">({p.turns_at_cut} more at a cut, within '
            f"{params.cut_margin_s:g} s: they record the edit, not counted)</span>"
        )
    items = [
        f"<b>Dominant expression</b>: {_uncertain(p.dominant_text, p.dominant_uncertain)} "
        "of the frames showing the face",
        f"<b>Valence verdict</b> (mapping {html.escape(params.valence_mapping)}, margin "
        f"±{params.valence_margin:g}): {_uncertain(p.valence_text, p.valence_uncertain)}",
        f"<b>Face coverage</b>: seen in {p.face_frames} of {p.frames_analysed} analysed "
        f"frames ({p.coverage:.0%})",
        f"<b>Turning points</b>: {turns}",
    ]
    if voice:
        items.append(html.escape(voice))
    lis = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="emo-finding"><h3>{html.escape(p.label)}</h3><ul>{lis}</ul></div>'


def findings_html(people: list[PersonFindings], clip: ClipSummary, params: ReportParameters) -> str:
    """The findings block: one card per shown person, then how to read the intervals."""
    if not people:
        return "<p><i>No face was found in the analysed frames: no finding.</i></p>"
    shown = people[: params.max_persons]
    main = clip.main_person.person if clip.main_person else None
    cards = [person_card(p, params, voice_text(clip) if p.person == main else None) for p in shown]
    more = ""
    if len(people) > len(shown):
        more = f" {len(people) - len(shown)} more persons are seen less (parameter max_persons)."
    note = (
        f"Intervals: {LEVEL:.0%}, moving-block bootstrap over {BLOCK_S:g} s blocks (neighbouring "
        "frames are not independent evidence). A verdict is <i>uncertain</i> when its interval "
        "reaches the margin: the lead over the runner-up, or ± the valence margin. "
        "Expressions describe what a face shows, not what a person feels. Click a turning "
        f"point to see it in the player.{more}"
    )
    return f'<div class="emo-findings">{"".join(cards)}</div><p class="emo-muted">{note}</p>'


def show_findings(analysis: Analysis, params: ReportParameters) -> list[PersonFindings]:
    """Section "findings": the summary per person (see the module docs)."""
    if "findings" not in params.sections:
        return []
    people = findings(analysis, params)
    clip = summarise_analysis(
        analysis,
        params.valence_mapping,
        params.valence_margin,
        min_quality=params.settings.min_quality,
    )
    display(HTML(findings_html(people, clip, params)))
    left_out = left_out_text(analysis, params)
    if left_out:
        display(HTML(f'<p class="emo-muted">{left_out}</p>'))
    return people
