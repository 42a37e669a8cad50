"""The voice in the batch outputs: the index column and the command's one-line result."""

from __future__ import annotations

from pathlib import Path

import pytest

from emohelpers.cli.report_cmd import _line
from emohelpers.report.index_page import ClipResult, write_index

BASE = {
    "duration_s": 2.0,
    "persons": 1,
    "dominant": {"P1": "happy"},
    "verdicts": {},
    "model": "mini-xception",
}


@pytest.mark.parametrize(
    ("voice", "cell", "line"),
    [
        ({"voice_status": "ok", "voice_dominant": "sad"}, "<td>sad</td>", "; voice sad "),
        (
            {"voice_status": "ok", "voice_dominant": None},
            "<td><i>no speech</i></td>",
            "; voice no speech ",
        ),
        (
            {"voice_status": "no audio", "voice_dominant": None},
            "<td><i>no audio</i></td>",
            "; voice no audio ",
        ),
        ({"voice_status": "off", "voice_dominant": None}, "<td><i>off</i></td>", "; voice off "),
        ({}, '<td></td><td class="ok">', "P1 happy -> "),  # a report made before the voice
    ],
)
def test_index_and_line_show_the_voice(tmp_path, voice, cell, line):
    result = ClipResult(
        Path("/data/a.mp4"), tmp_path / "a", ok=True, seconds=1, key_figures={**BASE, **voice}
    )
    page = write_index([result], tmp_path).read_text()
    assert "<th>voice</th>" in page and cell in page
    assert line in _line(result)


def test_failed_rows_span_the_voice_column(tmp_path):
    bad = ClipResult(Path("/data/b.mp4"), tmp_path / "b", ok=False, error="VideoReadError: x")
    page = write_index([bad], tmp_path).read_text()
    assert '<td colspan="3"><b>failed</b>' in page
