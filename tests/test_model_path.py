"""`--model PATH` (and `--voice-model PATH`) where PATH is a file: one line naming the file
and what is expected, before any model loads, on the command line and in the Python API;
a path to a folder that does not exist says so too."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emohelpers.core.errors import ModelLoadError, ParameterError
from emohelpers.core.settings import AnalysisSettings


@pytest.fixture
def weights_file(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"\0" * 64)
    return path


@pytest.mark.parametrize("name", ["model", "voice_model"])
def test_a_file_is_refused_by_the_settings(name, weights_file):
    with pytest.raises(ParameterError, match=rf"{weights_file}.*is a file.*model folder"):
        AnalysisSettings.from_flat(**{name: str(weights_file)})


@pytest.mark.parametrize("flag", ["--model", "--voice-model"])
@pytest.mark.parametrize("command", ["analyze", "report"])
def test_the_cli_refuses_a_file_in_one_line(flag, command, weights_file, sample_dir, tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "emohelpers", command, str(sample_dir / "single_face.mp4")]
        + ["--out", str(out), flag, str(weights_file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(weights_file) in lines[0] and "model folder" in lines[0], lines
    assert "Traceback" not in run.stderr and not out.exists()


def test_a_missing_model_folder_is_named():
    from emohelpers.analysis.classifiers import resolve_model

    with pytest.raises(ModelLoadError, match=r"/no/such/models/vit.*no such model folder"):
        resolve_model("/no/such/models/vit")
