"""Where each clip of a report folder stands, on disk: `<clip>/status.json`.

A batch writes "queued" for each of its clips before the first one runs, "started" when a
clip's notebook starts, and "ok" or "failed" when it ends; a killed or interrupted batch
leaves "queued" and "started" behind, so the index (`index_page.write_index`) can list
every clip of the folder, from this run and earlier ones, and say which were never
finished. Only the video's file name is stored, never a path of the machine.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
from pathlib import Path
from typing import Any

from emohelpers.core.atomic import atomic_write_json

STATUS_FILE = "status.json"


class ClipState(enum.StrEnum):
    """The states of a clip, in the order a batch moves through them; each is written to
    `status.json` as its value (and compares equal to it)."""

    QUEUED = "queued"
    STARTED = "started"
    OK = "ok"
    FAILED = "failed"


#: Every state, in order.
STATES: tuple[ClipState, ...] = tuple(ClipState)

#: States that mean the clip's report was not finished (the batch stopped first).
UNFINISHED: tuple[ClipState, ...] = (ClipState.QUEUED, ClipState.STARTED)


def write_status(
    folder: str | Path, state: ClipState | str, video_name: str, **fields: Any
) -> Path:
    """Write `folder/status.json` (through a temporary name) and return its path.

    Args:
        folder: the clip's output folder (created).
        state: a `ClipState` (or its value).
        video_name: the clip's file name (not its path).
        **fields: JSON-ready extras: `error` (one line), `seconds`.

    Raises:
        ValueError: for an unknown state.
    """
    try:
        state = ClipState(state)
    except ValueError:
        values = [s.value for s in ClipState]
        raise ValueError(f"state={state!r}: expected one of {values}") from None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "state": state,
        "video": video_name,
        "updated_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **fields,
    }
    return atomic_write_json(folder / STATUS_FILE, record)


def read_status(folder: str | Path) -> dict[str, Any] | None:
    """A clip folder's status, its `state` a `ClipState`: its `status.json`, or for folders
    of older versions (none) "ok" where `report.html` exists and "started" where only
    `report.ipynb` does; None for a folder that holds no clip."""
    folder = Path(folder)
    try:
        record = json.loads((folder / STATUS_FILE).read_text(encoding="utf-8"))
        if isinstance(record, dict) and record.get("state") in STATES:
            return {**record, "state": ClipState(record["state"])}
    except (OSError, ValueError):
        pass
    if (folder / "report.html").is_file():
        return {"state": ClipState.OK}
    if (folder / "report.ipynb").is_file():
        return {"state": ClipState.STARTED}
    return None
