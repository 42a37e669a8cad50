"""Text from data as Plotly shows it: literally.

Plotly renders a subset of HTML in every text of a figure (titles, tick and legend labels,
hover text, annotations): `<a href>` becomes a live link, `<b>` bold, `<br>` a new line. A
string from a user or a file (manifest metadata, golden labels, column, clip, person and
file names) goes through `plain` before it enters a figure, so that it shows as written;
markup the figure builders write themselves (`<br>`, `<extra>`) stays outside it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any


def plain(value: Any) -> str:
    """`value` as text that Plotly shows literally: `<`, `>` and `&` as HTML entities.

    Args:
        value: any value (its `str`).

    Returns:
        The escaped text; distinct values stay distinct.
    """
    return html.escape(str(value), quote=False)


def plain_all(values: Iterable[Any]) -> list[str]:
    """`plain` of each value, in order (category axes, legend names)."""
    return [plain(v) for v in values]


def plain_or_none(value: Any) -> str | None:
    """`plain(value)`, None kept (an optional title)."""
    return None if value is None else plain(value)
