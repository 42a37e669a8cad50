"""Figures of the voice channel beside the faces: timelines on one time axis, the two mean
radars side by side, and where face and voice agree.

Builders return a `plotly.graph_objects.Figure` and never show or write it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from emohelpers.analysis.table import EMOTIONS, validate_table
from emohelpers.analysis.voice.table import validate_voice_table
from emohelpers.figures.core_figures import radar_polar_layout, radar_trace
from emohelpers.figures.theme import EMOTION_COLORS, apply_theme, person_color, person_label

#: Colour of the voice's radar and speech-probability line (apart from the person colours).
VOICE_COLOR = "#444444"
_AGREE, _DISAGREE, _NOT_COMPARED = "#228833", "#CC3311", "#BBBBBB"


def _emotion_lines(
    fig: go.Figure, x: np.ndarray, probs: pd.DataFrame, who: str, row: int, legend: bool
) -> None:
    for emotion in EMOTIONS:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=probs[emotion].to_numpy(),
                name=emotion,
                legendgroup=emotion,
                showlegend=legend,
                mode="lines+markers" if row == 2 else "lines",
                connectgaps=False,
                marker={"size": 4},
                line={"color": EMOTION_COLORS[emotion], "width": 1.6},
                hovertemplate=f"{who} {emotion}: %{{y:.2f}} at %{{x:.2f}} s<extra></extra>",
            ),
            row=row,
            col=1,
        )


def face_voice_timeline_figure(
    faces: pd.DataFrame, voice: pd.DataFrame, person: float, duration_s: float | None = None
) -> go.Figure:
    """The face of one person over time above the voice, on the same time axis.

    Args:
        faces: an emotion table.
        voice: a voice table; each window is drawn at its centre, windows without speech
            as gaps (their speech probability is the dotted line).
        person: the person whose face is drawn (NaN: nobody was seen; the panel says so).
        duration_s: the clip's length, seconds, for the shared x range (default: the data).

    Returns:
        Two panels sharing x (`time_s`, seconds); y is the probability in [0, 1].
    """
    validate_table(faces)
    validate_voice_table(voice)
    seen = not np.isnan(person)
    title = f"Face: {person_label(person)}" if seen else "Face: nobody seen"
    titles = [title, "Voice (one point per window, at its centre)"]
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=titles
    )
    analysed = faces.drop_duplicates("frame")[["frame", "time_s"]].set_index("frame")
    mine = faces[faces["person"] == person].drop_duplicates("frame").set_index("frame")
    _emotion_lines(
        fig,
        analysed["time_s"].to_numpy(),
        mine[list(EMOTIONS)].reindex(analysed.index),
        person_label(person),
        1,
        legend=True,
    )
    centre = ((voice["start_s"] + voice["end_s"]) / 2).to_numpy()
    _emotion_lines(fig, centre, voice, "voice", 2, legend=False)
    fig.add_trace(
        go.Scatter(
            x=centre,
            y=voice["speech_prob"].to_numpy(),
            name="speech probability",
            mode="lines",
            line={"color": VOICE_COLOR, "width": 1.2, "dash": "dot"},
            hovertemplate="speech %{y:.2f} at %{x:.2f} s<extra></extra>",
        ),
        row=2,
        col=1,
    )
    for row in (1, 2):
        fig.update_yaxes(range=[0, 1], title_text="probability", row=row, col=1)
    if duration_s:
        fig.update_xaxes(range=[0, float(duration_s)])
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    fig.update_layout(title="Face and voice over time", height=580, hovermode="x unified")
    return apply_theme(fig)


def face_voice_radar_figure(
    face_probs: np.ndarray,
    voice_probs: np.ndarray,
    person: float,
) -> go.Figure:
    """The person's mean face radar beside the voice's mean radar.

    Args:
        face_probs: (7,) mean face probabilities in `EMOTIONS` order (NaN: nothing drawn).
        voice_probs: (7,) mean probabilities of the speech windows.
        person: the person's track id (its colour and label).
    """
    name = f"Face: {person_label(person)}"
    fig = make_subplots(
        rows=1,
        cols=2,
        specs=[[{"type": "polar"}, {"type": "polar"}]],
        subplot_titles=[name, "Voice"],
    )
    fig.add_trace(radar_trace(face_probs, name, person_color(person), subplot="polar"))
    fig.add_trace(radar_trace(voice_probs, "Voice", VOICE_COLOR, subplot="polar2"))
    fig.update_layout(
        polar=radar_polar_layout(),
        polar2=radar_polar_layout(),
        title="Mean expression: face and voice",
        showlegend=False,
        height=460,
        margin={"t": 110},
    )
    for annotation in fig.layout.annotations:  # subplot titles above the angular labels
        annotation.update(y=1.1)
    return apply_theme(fig)


def agreement_figure(agreed: pd.DataFrame) -> go.Figure:
    """Per voice window, whether face and voice agree: a row of marks for the dominant
    emotion and one for the valence; green agree, red differ, grey not compared.

    Args:
        agreed: a `summaries.agreement.agreement` table.
    """
    centre = ((agreed["start_s"] + agreed["end_s"]) / 2).to_numpy()
    fig = go.Figure()
    for col, label in (("same_emotion", "emotion"), ("same_valence", "valence")):
        verdict = agreed[col]
        color = np.where(
            verdict.isna(), _NOT_COMPARED, np.where(verdict.fillna(False), _AGREE, _DISAGREE)
        )
        text = [
            f"voice {v if pd.notna(v) else '—'} · face {f if pd.notna(f) else '—'}"
            for v, f in zip(agreed["voice_" + label], agreed["face_" + label], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=centre,
                y=[label] * len(agreed),
                mode="markers",
                name=label,
                text=text,
                marker={"color": color, "size": 14, "symbol": "square"},
                hovertemplate="%{x:.2f} s: %{text}<extra></extra>",
            )
        )
    fig.update_layout(
        title="Face and voice: same emotion? same valence? (green: same, red: "
        "differ, grey: not compared)",
        height=220,
        showlegend=False,
        xaxis_title="time (s)",
        margin={"l": 80},
        yaxis={"range": [-0.6, 1.6]},
    )
    return apply_theme(fig)


def transcript_figure(transcript: pd.DataFrame, duration_s: float | None = None) -> go.Figure:
    """What was said, as one bar per transcript segment on the voice timeline's time axis.

    Args:
        transcript: a transcript table (`start_s`, `end_s`, `text`, `language`, `confidence`).
        duration_s: the clip's length, seconds, for the x range (default: the data).

    Returns:
        One row of bars over x (`time_s`, seconds); each segment's text is written on its bar
        and in its hover label.
    """
    t = transcript.reset_index(drop=True)
    fig = go.Figure(
        go.Bar(
            base=t["start_s"],
            x=t["end_s"] - t["start_s"],
            y=["said"] * len(t),
            orientation="h",
            text=t["text"],
            textposition="inside",
            insidetextanchor="start",
            marker={"color": VOICE_COLOR, "opacity": 0.25},
            customdata=np.stack([t["start_s"], t["end_s"], t["confidence"]], axis=1),
            hovertemplate="%{customdata[0]:.2f}-%{customdata[1]:.2f} s: %{text}"
            "<br>confidence %{customdata[2]:.2f}<extra></extra>",
        )
    )
    end = duration_s or (float(t["end_s"].max()) if len(t) else 1.0)
    fig.update_layout(height=160, title="What was said (Whisper-base transcript)")
    fig.update_xaxes(title_text="time (s)", range=[0, end])
    fig.update_yaxes(showticklabels=False)
    return apply_theme(fig)
