"""One clip in figures: `ClipSummary`, the one summary every page, index and corpus row shows.

`clip_summary` computes it from the emotion table (plus run facts from the provenance and the
optional voice table, passed in as plain values); `summarise_analysis` reads those values out
of an `Analysis`. Reports (`key_figures.json`, the "clip" section), the report index, the
corpus rows (`clips.parquet`) and the demo corpus all take their figures from it, so they
cannot disagree.

The rules are those of `summaries.summary` and `summaries.valence`:

- frames without a face count as analysed, never as an emotion; faces without a track id
  count as faces, not as persons;
- the main persons are `summary.main_persons` (most frames with a face, ties by lower id);
- a dominant emotion is by vote: the most frequent frame-level emotion, a tie going to the
  tied emotion with the higher mean probability, then to the first in `EMOTIONS` order;
  the clip's is over all faces pooled, a person's over that person's faces;
- valence is `valence.valence_verdict` with method "mean": per person and for the clip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.analysis.table import Analysis
from emohelpers.core.persons import person_label, person_names
from emohelpers.summaries.agreement import agreement, agreement_rates, voice_dominant
from emohelpers.summaries.readable import readable
from emohelpers.summaries.summary import dominant_emotion, main_persons
from emohelpers.summaries.valence import valence_verdict

#: The voice status of an analysis saved before the voice channel existed.
NOT_ANALYSED = "not analysed"
#: Decimals of the shares and scores in `as_dict` (what pages and JSON files show).
DECIMALS = 4


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), DECIMALS)


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


@dataclass(frozen=True)
class PersonSummary:
    """One person of a clip.

    Attributes:
        person: the track id (float, as in the table).
        face_frames: frames with this person's face.
        dominant: the dominant emotion (by vote; see the module docs).
        valence_score: mean positive minus mean negative probability, in [-1, 1].
        verdict: "positive" | "neutral" | "negative" (the margin decides near-ties).
        name: the cast member this person matches (`--cast`), None when unnamed.
    """

    person: float
    face_frames: int
    dominant: str
    valence_score: float
    verdict: str
    name: str | None = None

    @property
    def label(self) -> str:
        """ "P1" for person 1; "Candidate A (P1)" when a cast names them."""
        return person_label(self.person, self.name)


@dataclass(frozen=True)
class VoiceSummary:
    """What the voice channel found.

    Attributes:
        status: the voice block's status ("ok", "no audio", "broken audio", "off", or
            `NOT_ANALYSED`).
        model: the voice model's name (None without a voice table).
        windows: windows of the voice table.
        speech_windows: windows with speech (classified).
        dominant: the voice's dominant emotion (`agreement.voice_dominant`); None without
            speech.
        agreement: share of the windows with speech and the main person's face in which both
            show the same dominant emotion; None when no window has both.
        valence_agreement: the same for the valence class.
    """

    status: str
    model: str | None = None
    windows: int = 0
    speech_windows: int = 0
    dominant: str | None = None
    agreement: float | None = None
    valence_agreement: float | None = None


@dataclass(frozen=True)
class ClipSummary:
    """The key figures of one clip (see the module docs for the rules).

    Attributes:
        frames_analysed: analysed frames (with or without a face).
        frames_with_face: analysed frames with at least one face.
        faces: face rows (one per face per frame).
        faces_left_out: face rows below `min_quality`, left out of every verdict.
        shots: shots (between cuts) of the analysed frames.
        persons: one `PersonSummary` per tracked person, by id.
        main_persons: the track ids by how much they are seen (`summary.main_persons`).
        dominant: the clip's dominant emotion, all faces pooled; None without a face.
        valence_score: the clip's valence score, all faces pooled; None without a face.
        verdict: the clip's valence verdict; None without a face.
        voice: the voice's figures; None when no voice facts were given.
        analysis_seconds: the analysis's wall time (the provenance's), s.
        frames_per_s: analysed frames per second of wall time (the provenance's).
    """

    frames_analysed: int
    frames_with_face: int
    faces: int
    shots: int
    faces_left_out: int = 0
    persons: tuple[PersonSummary, ...] = ()
    main_persons: tuple[float, ...] = ()
    dominant: str | None = None
    valence_score: float | None = None
    verdict: str | None = None
    voice: VoiceSummary | None = None
    analysis_seconds: float | None = None
    frames_per_s: float | None = None

    @property
    def n_persons(self) -> int:
        """Tracked persons."""
        return len(self.persons)

    @property
    def names(self) -> dict[float, str]:
        """Person id -> name of the persons a cast names."""
        return {p.person: p.name for p in self.persons if p.name}

    @property
    def face_coverage(self) -> float | None:
        """frames_with_face / frames_analysed, in [0, 1]; None without analysed frames."""
        return self.frames_with_face / self.frames_analysed if self.frames_analysed else None

    @property
    def main_person(self) -> PersonSummary | None:
        """The most seen person; None when nobody was tracked."""
        return self.person(self.main_persons[0]) if self.main_persons else None

    def person(self, person: float) -> PersonSummary:
        """The summary of one track id.

        Raises:
            KeyError: for a track id that is not in the clip.
        """
        for p in self.persons:
            if p.person == float(person):
                return p
        raise KeyError(f"person {person!r} is not in the clip; persons: {self.main_persons}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures, shares and scores rounded to `DECIMALS`; persons by label.

        Keys: frames_analysed, frames_with_face, face_coverage, faces, faces_left_out (below
        min_quality), persons (how many),
        shots, main_person (label), main_persons (labels), dominant / verdicts /
        valence_scores ({label: value}, by id), clip_dominant, clip_valence_score,
        clip_verdict, analysis_seconds, frames_per_s, then with voice facts voice_status,
        voice_model, voice_windows, voice_speech_windows, voice_dominant, voice_agreement,
        voice_valence_agreement.
        """
        main = self.main_person
        out: dict[str, Any] = {
            "frames_analysed": self.frames_analysed,
            "frames_with_face": self.frames_with_face,
            "face_coverage": _round(self.face_coverage),
            "faces": self.faces,
            "faces_left_out": self.faces_left_out,
            "persons": self.n_persons,
            "shots": self.shots,
            "main_person": main.label if main else None,
            "main_persons": [person_label(p, self.names.get(float(p))) for p in self.main_persons],
            "dominant": {p.label: p.dominant for p in self.persons},
            "verdicts": {p.label: p.verdict for p in self.persons},
            "valence_scores": {p.label: _round(p.valence_score) for p in self.persons},
            "clip_dominant": self.dominant,
            "clip_valence_score": _round(self.valence_score),
            "clip_verdict": self.verdict,
            "analysis_seconds": self.analysis_seconds,
            "frames_per_s": self.frames_per_s,
        }
        if self.voice is not None:
            v = self.voice
            out.update(
                voice_status=v.status,
                voice_model=v.model,
                voice_windows=v.windows,
                voice_speech_windows=v.speech_windows,
                voice_dominant=v.dominant,
                voice_agreement=_round(v.agreement),
                voice_valence_agreement=_round(v.valence_agreement),
            )
        return out

    def row(self) -> dict[str, Any]:
        """The clip's result columns of a corpus row (`corpus.dataset.CLIP_DTYPES`), unrounded:
        `dominant`, `valence_score` and `verdict` are the main person's."""
        main = self.main_person
        return {
            "frames_analysed": self.frames_analysed,
            "frames_with_face": self.frames_with_face,
            "face_coverage": self.face_coverage,
            "faces": self.faces,
            "persons": self.n_persons,
            "main_person": main.person if main else None,
            "dominant": main.dominant if main else None,
            "valence_score": main.valence_score if main else None,
            "verdict": main.verdict if main else None,
            "analysis_seconds": self.analysis_seconds,
            "frames_per_s": self.frames_per_s,
        }


def _voice_summary(
    table: pd.DataFrame,
    voice: pd.DataFrame | None,
    status: str | None,
    model: str | None,
    mapping: str | Mapping[str, str],
) -> VoiceSummary:
    summary = VoiceSummary(status=status or NOT_ANALYSED, model=model)
    if voice is None:
        return summary
    rates = agreement_rates(agreement(table, voice, mapping=mapping)) if len(voice) else {}
    return VoiceSummary(
        status=summary.status,
        model=model,
        windows=len(voice),
        speech_windows=int(rates.get("speech_windows", 0)),
        dominant=voice_dominant(voice) if len(voice) else None,
        agreement=rates.get("emotion_rate"),
        valence_agreement=rates.get("valence_rate"),
    )


def clip_summary(
    table: pd.DataFrame,
    *,
    mapping: str | Mapping[str, str] = "default",
    margin: float = 0.1,
    voice: pd.DataFrame | None = None,
    voice_status: str | None = None,
    voice_model: str | None = None,
    analysis_seconds: float | None = None,
    frames_per_s: float | None = None,
    min_quality: float = 0.0,
) -> ClipSummary:
    """The clip's key figures from its emotion table (pure: nothing is read or written).

    Args:
        table: the emotion table.
        mapping: the valence mapping (a preset name or a dict; see `valence.resolve_mapping`).
        margin: |score| a valence verdict needs, in [0, 1].
        voice: the voice table; None when there is none.
        voice_status: the provenance's voice status; voice facts are summarised only when
            this or `voice` is given (a missing status reads as `NOT_ANALYSED`).
        voice_model: the voice model's name.
        analysis_seconds, frames_per_s: the run's timing, from the provenance.
        min_quality: faces of a lower `quality` count as faces but not in any verdict
            (dominant emotions, valence, persons' figures, voice agreement): see `readable`.

    Returns:
        A `ClipSummary`.

    Raises:
        ParameterError: for an invalid mapping or margin.
    """
    full = table  # who is seen, and how much: every face
    all_faces = int(full["face"].notna().sum())
    table = readable(full, min_quality)
    faces = table.loc[table["face"].notna()]
    verdicts = valence_verdict(table, mapping, level="person", margin=margin)
    verdicts = verdicts.dropna(subset=["person"]).set_index("person")
    dominant = dominant_emotion(table).dropna(subset=["person"])
    names = person_names(table)
    persons = tuple(
        PersonSummary(
            person=float(p),
            face_frames=int(n),
            dominant=str(d),
            valence_score=float(verdicts.loc[p, "score"]),
            verdict=str(verdicts.loc[p, "verdict"]),
            name=names.get(float(p)),
        )
        for p, n, d in zip(
            dominant["person"], dominant["n_face_frames"], dominant["dominant_vote"], strict=True
        )
    )
    clip_dominant = clip_score = clip_verdict = None
    if len(faces):
        # All faces pooled under one key: the same vote and tie rule as a person's.
        pooled = dominant_emotion(faces.assign(person=0.0))
        clip_dominant = str(pooled["dominant_vote"].iloc[0])
        clip = valence_verdict(table, mapping, level="clip", margin=margin).iloc[0]
        clip_score, clip_verdict = float(clip["score"]), _text(clip["verdict"])
    has_voice = voice is not None or voice_status is not None
    return ClipSummary(
        frames_analysed=int(table["frame"].nunique()),
        frames_with_face=int(faces["frame"].nunique()),
        faces=all_faces,
        faces_left_out=all_faces - len(faces),
        shots=int(table["shot"].max()) + 1 if len(table) else 0,
        persons=persons,
        main_persons=tuple(main_persons(full)),
        dominant=clip_dominant,
        valence_score=clip_score,
        verdict=clip_verdict,
        voice=_voice_summary(table, voice, voice_status, voice_model, mapping)
        if has_voice
        else None,
        analysis_seconds=_number(analysis_seconds),
        frames_per_s=_number(frames_per_s),
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | np.number) else None


def summarise_analysis(
    analysis: Analysis,
    mapping: str | Mapping[str, str] = "default",
    margin: float = 0.1,
    min_quality: float = 0.0,
) -> ClipSummary:
    """`clip_summary` of a saved or new analysis: its table, its voice table and the run facts
    of its provenance (the `summary` block's seconds and frames/s, the voice block's status
    and model), faces below `min_quality` left out of verdicts."""
    prov = analysis.provenance
    block = prov.voice
    return clip_summary(
        analysis.table,
        mapping=mapping,
        margin=margin,
        voice=analysis.voice,
        voice_status=block.get("status") or NOT_ANALYSED,
        voice_model=(block.get("classifier") or {}).get("name"),
        analysis_seconds=prov.summary.get("seconds"),
        frames_per_s=prov.summary.get("frames_per_s"),
        min_quality=min_quality,
    )
