"""Project hygiene: the conda environment matches pyproject; the CLI starts; no weights in git."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emohelpers", *args], capture_output=True, text=True
    )


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert [p for p in pip if p != "-e ."] == wanted
    assert "python=3.11" in env["dependencies"]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "\nmake test\n" in ci


def test_console_script_starts_and_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "emohelpers", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("analyze", "report", "evaluate", "evaluate-images"):
        assert command in out


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path):
    cmd = ["analyze", str(tmp_path / "x.mp4"), "--out", str(tmp_path / "o")]
    proc = subprocess.run(
        [sys.executable, "-m", "emohelpers", *cmd], capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "x.mp4: no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_bad_argument_is_one_line(tmp_path):
    cmd = ["analyze", "v.mp4", "--out", "o", "--every-n", "2", "--fps", "3"]
    proc = subprocess.run(
        [sys.executable, "-m", "emohelpers", *cmd], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("command", ["analyze", "report", "corpus"])
def test_cli_every_n_with_fps_is_an_error_even_every_n_1(command):
    """Both given: refused at once (exit 2, one line), also `--every-n 1` (every frame)."""
    argv = [command, "v.mp4", "--out", "o", "--every-n", "1", "--fps", "5"]
    proc = subprocess.run(
        [sys.executable, "-m", "emohelpers", *argv], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "--fps: not allowed with argument --every-n" in proc.stderr


def test_no_weights_videos_or_outputs_are_tracked():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    banned = (".hdf5", ".h5", ".pt", ".safetensors", ".mp4", ".mov", ".parquet")
    assert not [f for f in files if f.endswith(banned)]
    assert sorted(f for f in files if f.startswith(("videos/", "outputs/"))) == [
        "outputs/README.md",
        "videos/README.md",
    ]


def test_cli_options_reach_the_settings():
    from emohelpers.cli.analyze_cmd import settings_from_args
    from emohelpers.cli.main import build_parser
    from emohelpers.core.settings import AnalysisSettings

    parser = build_parser()
    args = parser.parse_args(
        [
            "analyze",
            "v.mp4",
            "--out",
            "o",
            "--max-side-px",
            "0",
            "--min-face-px",
            "60",
            "--fps",
            "5",
            "--max-gap-s",
            "4",
        ]
    )
    s = settings_from_args(args)
    assert s.detector.max_side_px is None and s.detector.min_face_px == 60
    assert s.fps == 5 and s.every_n is None and s.tracker.max_gap_s == 4
    default = settings_from_args(parser.parse_args(["analyze", "v.mp4", "--out", "o"]))
    assert default == AnalysisSettings() and default.detector.max_side_px == 960
    # The report command takes the same options, with the same rules.
    args = parser.parse_args(["report", "v.mp4", "--every-n", "10", "--min-det-prob", "0.8"])
    assert settings_from_args(args) == AnalysisSettings.from_flat(every_n=10, min_det_prob=0.8)
