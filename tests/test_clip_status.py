"""A clip's status file: typed states with the JSON values older folders hold."""

from __future__ import annotations

import json

import pytest

from emohelpers.report.clip_status import (
    STATES,
    UNFINISHED,
    ClipState,
    read_status,
    write_status,
)


def test_states_keep_their_json_values():
    assert [s.value for s in STATES] == ["queued", "started", "ok", "failed"]
    assert set(UNFINISHED) == {ClipState.QUEUED, ClipState.STARTED}


@pytest.mark.parametrize("state", [ClipState.OK, "ok"])
def test_a_state_is_written_as_its_value_and_read_back_typed(tmp_path, state):
    path = write_status(tmp_path / "clip", state, "clip.mp4", seconds=1.5)
    assert json.loads(path.read_text())["state"] == "ok"
    record = read_status(tmp_path / "clip")
    assert record is not None and record["state"] is ClipState.OK
    assert record["video"] == "clip.mp4" and record["seconds"] == 1.5


def test_an_unknown_state_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'done'"):
        write_status(tmp_path / "x", "done", "x.mp4")
    assert not (tmp_path / "x" / "status.json").exists()


def test_older_folders_get_typed_states(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.html").write_text("<html></html>")
    record = read_status(tmp_path / "old")
    assert record is not None and record["state"] is ClipState.OK
