"""One map of emotion colours, person colours and a small Plotly theme.

Every figure and the annotated video take their colours from here, so that "happy" is the
same gold in a timeline, a radar, a face box and a report.

The emotion colours start from Paul Tol's colour-blind-safe schemes (red, green, purple,
gold, grey, blue, orange) and were adjusted so that every pair stays apart under simulated
deuteranopia and protanopia (tests/test_figures.py checks it); red, orange and gold also
differ in lightness. Person colours are the Okabe-Ito palette.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from emohelpers.core.persons import person_label  # noqa: F401  (one import path for figures)

#: Emotion name -> hex colour, in the order of `emohelpers.table.EMOTIONS`.
EMOTION_COLORS: dict[str, str] = {
    "angry": "#CC3311",
    "disgust": "#117733",
    "fear": "#AA3377",
    "happy": "#DDC030",
    "neutral": "#999999",
    "sad": "#4477AA",
    "surprise": "#EE7733",
}

#: Person colours in track-id order (Okabe-Ito, black last); ids wrap around.
PERSON_COLORS: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
#: Colour of "no person" (a NaN track id).
NO_PERSON_COLOR = "#BBBBBB"

#: Fill opacity of radar polygons, shared by the Plotly radar and the video radar.
RADAR_FILL_OPACITY = 0.25
#: Line width of radar outlines in px, shared by the Plotly radar and the video radar.
RADAR_LINE_WIDTH = 2.0

FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"
FONT_COLOR = "#333333"
GRID_COLOR = "#DDDDDD"
BACKGROUND = "#FFFFFF"
MARGIN = {"l": 50, "r": 20, "t": 50, "b": 40}
TEMPLATE_NAME = "emohelpers"


def person_color(person_id: Any) -> str:
    """Colour of a person (track id).

    Args:
        person_id: track id (int or float as stored in the table); NaN or None for "no person".

    Returns:
        Hex colour: `PERSON_COLORS[id % 8]`, or `NO_PERSON_COLOR` for NaN/None.
    """
    if person_id is None or (isinstance(person_id, float) and math.isnan(person_id)):
        return NO_PERSON_COLOR
    return PERSON_COLORS[int(person_id) % len(PERSON_COLORS)]


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """`"#RRGGBB"` -> `(r, g, b)` as ints in 0..255."""
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"expected a colour like '#RRGGBB', got {color!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def rgba(color: str, alpha: float) -> str:
    """`"#RRGGBB"` and an opacity in [0, 1] -> a Plotly `"rgba(r,g,b,a)"` string."""
    r, g, b = hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha:g})"


def _template() -> go.layout.Template:
    layout = go.Layout(
        font={"family": FONT_FAMILY, "size": 13, "color": FONT_COLOR},
        paper_bgcolor=BACKGROUND,
        plot_bgcolor=BACKGROUND,
        margin=MARGIN,
        colorway=list(PERSON_COLORS),
        title={"x": 0.02, "xanchor": "left", "font": {"size": 16}},
        legend={"bgcolor": "rgba(255,255,255,0.6)"},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        xaxis={"gridcolor": GRID_COLOR, "zerolinecolor": GRID_COLOR, "linecolor": "#AAAAAA"},
        yaxis={"gridcolor": GRID_COLOR, "zerolinecolor": GRID_COLOR, "linecolor": "#AAAAAA"},
        polar={
            "bgcolor": BACKGROUND,
            "radialaxis": {"gridcolor": GRID_COLOR, "linecolor": GRID_COLOR},
            "angularaxis": {"gridcolor": GRID_COLOR, "linecolor": "#AAAAAA"},
        },
    )
    return go.layout.Template(layout=layout)


pio.templates[TEMPLATE_NAME] = _template()


def apply_theme(fig: go.Figure) -> go.Figure:
    """Apply the emohelpers template (font, white background, margins) to `fig`.

    Args:
        fig: any Plotly figure; modified and returned so that calls can be chained.

    Returns:
        The same figure.
    """
    fig.update_layout(template=pio.templates[TEMPLATE_NAME])
    return fig
