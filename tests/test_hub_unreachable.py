"""A Hub id that is neither cached nor reachable fails in seconds, with the whole message
(issue 14, case 5). Run in a child process: huggingface_hub reads HF_ENDPOINT and
HF_HUB_OFFLINE when it is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_CHILD = """
import sys, time, torch, transformers
from emohelpers.analysis.classifiers import HFClassifier
from emohelpers.analysis.voice.classifiers.hf import HFVoiceClassifier
from emohelpers.core.errors import ModelLoadError
load = {"face": HFClassifier, "voice": HFVoiceClassifier}[sys.argv[1]]
t0 = time.perf_counter()
try:
    load("someone/not-in-any-cache", torch.device("cpu"))
except ModelLoadError as exc:
    print(f"{time.perf_counter() - t0:.2f}")
    print(exc)
    sys.exit(3)
"""


def _load(tmp_path, kind="face", **env):
    environ = {**os.environ, "HF_HOME": str(tmp_path / "hf"), **env}
    environ.pop("HF_HUB_OFFLINE", None) if "HF_HUB_OFFLINE" not in env else None
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds, _, message = done.stdout.partition("\n")
    return done, float(seconds or "nan"), message.strip()


@pytest.mark.parametrize("kind", ["face", "voice"])
@pytest.mark.parametrize(
    "env, reason",
    [
        # TEST-NET-1 (RFC 5737): routed nowhere, so a connection hangs until its timeout.
        ({"HF_ENDPOINT": "https://192.0.2.1"}, "cannot be reached"),
        ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
    ],
)
def test_an_unreachable_hub_fails_in_seconds_with_the_whole_message(tmp_path, kind, env, reason):
    done, seconds, message = _load(tmp_path, kind, **env)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "someone/not-in-any-cache" in message and reason in message
    assert message.endswith("(~/.cache/huggingface).")  # the fixes, to the last word
    # One 3 s connection attempt at most (it took 101 s of retries before).
    assert seconds < 15, f"{seconds:.0f} s"
