"""The findings of one clip, per person, in words: what a report says before its evidence.

For each person: how much of the clip shows their face, the dominant emotion with its
block-bootstrap interval (`intervals.dominant_shares`, "happy 62% [48-75%]"), the valence
verdict with its interval (`intervals.valence_interval`), labelled as a valence verdict, and
the turning points that are not edits. A verdict whose interval reaches the margin (the
dominant's lead over the runner-up reaching 0, the valence score crossing ±margin) is
called *uncertain*.

A turning point within `margin_s` of a shot cut records the edit, not the performer: it is
marked "at a cut" (`mark_cuts`) and left out of the findings (kept, marked, in the tables).

Pure functions: tables in, new tables or plain values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from emohelpers.core.errors import ParameterError
from emohelpers.core.persons import person_label
from emohelpers.summaries import summary
from emohelpers.summaries.intervals import dominant_shares, format_share, valence_interval

#: What a turning point near a cut is called (tables, figures, findings).
AT_CUT = "at a cut"
#: Seconds a new dominant emotion must hold to be a turning point (the report's rule).
MIN_CHANGE_S = 1.0


def mark_cuts(turns: pd.DataFrame, cuts_s: Sequence[float] | None, margin_s: float) -> pd.DataFrame:
    """Turning points with `at_cut` (bool): within `margin_s` seconds of a cut.

    Args:
        turns: the output of `summary.turning_points` (needs `time_s`).
        cuts_s: times of the shot cuts, seconds (None or empty: no cut).
        margin_s: seconds either side of a cut, >= 0.

    Returns:
        A copy of `turns` with `at_cut` and `cut_s` (the nearest cut's time, NaN without
        cuts).

    Raises:
        ParameterError: for a negative or non-numeric `margin_s`.
    """
    if isinstance(margin_s, bool) or not (isinstance(margin_s, int | float) and margin_s >= 0):
        raise ParameterError(f"margin_s={margin_s!r}: must be a number of seconds >= 0")
    out = turns.copy()
    cuts = np.sort(np.asarray(list(cuts_s or []), dtype=np.float64))
    t = out["time_s"].to_numpy(dtype=np.float64)
    if not len(cuts) or not len(t):
        out["cut_s"] = np.full(len(out), np.nan)
        out["at_cut"] = np.zeros(len(out), dtype=bool)
        return out
    nearest = cuts[np.abs(t[:, None] - cuts[None, :]).argmin(axis=1)]
    out["cut_s"] = nearest
    out["at_cut"] = np.abs(t - nearest) <= margin_s + 1e-9
    return out


def clip_turning_points(
    table: pd.DataFrame,
    smooth_s: float,
    cuts_s: Sequence[float] | None = None,
    margin_s: float = 0.5,
) -> pd.DataFrame:
    """The report's turning points: on probabilities smoothed over `smooth_s` seconds
    (moving mean), changes holding `MIN_CHANGE_S`, sharp rises; marked by `mark_cuts`."""
    smoothed = summary.smooth(table, "moving", window_s=smooth_s)
    turns = summary.turning_points(smoothed, min_duration_s=MIN_CHANGE_S)
    return mark_cuts(turns, cuts_s, margin_s)


def turning_text(tp: Any) -> str:
    """One turning point in words, with its unit: "neutral→happy at 4.20 s (held 3.6 s)",
    "happy rose by 0.32 (probability) at 5.10 s"."""
    t, value = float(tp.time_s), float(tp.value)
    if tp.kind == "change":
        return f"{tp.from_emotion}→{tp.emotion} at {t:.2f} s (held {value:.1f} s)"
    return f"{tp.emotion} rose by {value:.2f} (probability) at {t:.2f} s"


@dataclass(frozen=True)
class PersonFindings:
    """One person's findings (see the module docs).

    Attributes:
        person: the track id.
        face_frames: analysed frames with this person's face.
        frames_analysed: analysed frames of the clip.
        dominant: the dominant emotion (share of face frames).
        share, share_lo, share_hi: its share of the face frames and interval, in [0, 1].
        dominant_uncertain: the lead over the runner-up may be 0.
        runner_up: the second emotion by share.
        valence: "positive" | "neutral" | "negative".
        valence_score, valence_lo, valence_hi: mean valence score and interval, [-1, 1].
        valence_uncertain: the interval crosses ±margin.
        margin: the valence margin.
        turns: the turning points not at a cut (rows of `clip_turning_points`).
        turns_at_cut: how many were at a cut.
    """

    person: float
    face_frames: int
    frames_analysed: int
    dominant: str
    share: float
    share_lo: float
    share_hi: float
    dominant_uncertain: bool
    runner_up: str
    valence: str
    valence_score: float
    valence_lo: float
    valence_hi: float
    valence_uncertain: bool
    margin: float
    turns: pd.DataFrame
    turns_at_cut: int

    @property
    def label(self) -> str:
        return person_label(self.person)

    @property
    def coverage(self) -> float:
        """Share of the analysed frames showing this face, in [0, 1]."""
        return self.face_frames / self.frames_analysed if self.frames_analysed else 0.0

    @property
    def dominant_text(self) -> str:
        """ "happy 62% [48-75%]", "uncertain: happy 41% [30-52%] or neutral"."""
        text = f"{self.dominant} {format_share(self.share, self.share_lo, self.share_hi)}"
        return f"uncertain: {text} or {self.runner_up}" if self.dominant_uncertain else text

    @property
    def valence_text(self) -> str:
        """ "positive (score 0.23 [0.15, 0.31])"; "uncertain (...)" when it crosses ±margin."""
        score = f"score {self.valence_score:+.2f} [{self.valence_lo:+.2f}, {self.valence_hi:+.2f}]"
        if self.valence_uncertain:
            return f"uncertain ({score} reaches the margin ±{self.margin:g})"
        return f"{self.valence} ({score})"


def person_findings(
    table: pd.DataFrame,
    turns: pd.DataFrame,
    *,
    mapping: str | Mapping[str, str] = "default",
    margin: float = 0.1,
    seed: int = 0,
) -> list[PersonFindings]:
    """Each tracked person's findings, most seen first (`summary.main_persons`).

    Args:
        table: the emotion table.
        turns: `clip_turning_points` of it (with `at_cut`).
        mapping: the valence mapping.
        margin: the valence verdict's margin.
        seed: the bootstrap's seed (intervals are reproducible).
    """
    persons = summary.main_persons(table)
    if not persons:
        return []
    shares = dominant_shares(table, ("person",), series=("person",), seed=seed)
    valence = valence_interval(
        table, ("person",), margin=margin, mapping=mapping, series=("person",), seed=seed
    ).set_index("person")
    frames = int(table["frame"].nunique())
    out = []
    # The dominant emotion by the summaries' rule (vote, ties by mean probability), so that
    # the findings, the key figures and the index name the same one.
    votes = summary.dominant_emotion(table).dropna(subset=["person"]).set_index("person")
    for p in persons:
        mine = shares[shares["person"] == p].sort_values("share", ascending=False, kind="stable")
        dominant = str(votes.loc[p, "dominant_vote"])
        top = mine[mine["emotion"] == dominant].iloc[0]
        second = mine[mine["emotion"] != dominant].iloc[0]
        lead = mine[mine["dominant"]].iloc[0]  # the bootstrap's top share and its lead
        uncertain = bool(lead["uncertain"]) or str(lead["emotion"]) != dominant
        v = valence.loc[p]
        own = turns[turns["person"] == p] if len(turns) else turns
        at_cut = own["at_cut"].astype(bool) if len(own) else pd.Series([], dtype=bool)
        out.append(
            PersonFindings(
                person=float(p),
                face_frames=int(table.loc[table["person"] == p, "frame"].nunique()),
                frames_analysed=frames,
                dominant=dominant,
                share=float(top["share"]),
                share_lo=float(top["share_lo"]),
                share_hi=float(top["share_hi"]),
                dominant_uncertain=uncertain,
                runner_up=str(second["emotion"]),
                valence=str(v["verdict"]),
                valence_score=float(v["score"]),
                valence_lo=float(v["score_lo"]),
                valence_hi=float(v["score_hi"]),
                valence_uncertain=bool(v["uncertain"]),
                margin=float(margin),
                turns=own[~at_cut.to_numpy()] if len(own) else own,
                turns_at_cut=int(at_cut.sum()),
            )
        )
    return out
