"""The built wheel: it carries the package's data, and installed in a fresh virtualenv it
runs `emohelpers report` outside the source tree (the notebooks are package data)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import REPORT_CLIP

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.notebooks]


def source_files() -> list[str]:
    """What a fresh clone of this checkout holds: tracked and untracked, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(p for p in listed.split("\0") if p and os.path.lexists(ROOT / p))


def copy_checkout(dest: Path) -> Path:
    """Copy the checkout's files (links kept as links) to `dest`, as a clone would have them:
    the wheel is built from them, never from stale build folders of the source tree."""
    for name in source_files():
        src, out = ROOT / name, dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            out.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, out)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the checkout."""
    src = copy_checkout(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)]
    # The pinned setuptools of this environment builds offline; an older one cannot read the
    # pyproject's licence field, so pip then fetches a current one into an isolated build.
    if int(version("setuptools").split(".")[0]) >= 77:
        cmd.insert(4, "--no-build-isolation")
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    (built,) = dist.glob("emohelpers-*.whl")
    return built


def test_the_wheel_carries_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    notebooks = {f"emohelpers/notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks and notebooks <= names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "emohelpers").rglob("*.py")}
    assert modules <= names
    assert {
        "emohelpers/py.typed",
        "emohelpers/analysis/classifiers/face_model.pth",
        "emohelpers/analysis/voice/classifiers/voice_cnn.pth",
        "emohelpers/analysis/voice/classifiers/whisper_head.npz",
    } <= names
    data = {n for n in names if n.startswith("emohelpers/") and not n.endswith(".py")}
    assert data == notebooks | {
        "emohelpers/py.typed",
        "emohelpers/analysis/classifiers/face_model.pth",
        "emohelpers/analysis/voice/classifiers/voice_cnn.pth",
        "emohelpers/analysis/voice/classifiers/whisper_head.npz",
    }, "package data that no test expects"
    assert not [n for n in names if "checkpoint" in n or "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "emohelpers = emohelpers.cli.main:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def clean_env() -> dict[str, str]:
    """This process's environment without anything that points Python at the source tree."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    """A new virtualenv with the wheel installed; its dependencies come from this
    environment's site-packages through a `.pth` line added after the install, placed after
    its own site-packages (the wheel's package wins over this checkout's editable one)."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        env=clean_env(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    (site,) = (env / "lib").glob("python3.*/site-packages")
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "zz_emohelpers_test_deps.pth").write_text("\n".join(deps) + "\n")
    # The dependencies' data files, as their install would have put them: nbconvert's
    # templates (the kernels stay the new environment's own: ipykernel's runs its Python).
    (env / "share" / "jupyter").mkdir(parents=True)
    (env / "share" / "jupyter" / "nbconvert").symlink_to(
        Path(sys.prefix) / "share" / "jupyter" / "nbconvert"
    )
    return env


def test_a_fresh_virtualenv_imports_the_installed_wheel(fresh_venv, tmp_path):
    code = (
        "import emohelpers, emohelpers.core.notebooks as n;"
        "print(emohelpers.__file__); print(n.notebooks_dir())"
    )
    out = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    package, notebooks = Path(out[0]).resolve(), Path(out[1])
    assert package.is_relative_to(fresh_venv.resolve()) and not package.is_relative_to(ROOT)
    assert notebooks.is_relative_to(fresh_venv.resolve())
    assert (notebooks / "clip_report.ipynb").is_file()


def test_the_installed_cli_writes_a_report_outside_the_source_tree(
    fresh_venv, sample_dir, tmp_path
):
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    cmd = [
        str(fresh_venv / "bin" / "emohelpers"),
        "-q",
        "report",
        str(sample_dir / REPORT_CLIP),
        "--out",
        str(out),
        "--model",
        "mini-xception",
        "--every-n",
        "30",
        "--no-voice",
        "--sections",
        "clip,timelines",
    ]
    proc = subprocess.run(
        cmd, cwd=work, env=clean_env(), capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    folder = out / Path(REPORT_CLIP).stem
    assert (folder / "report.html").stat().st_size > 0 and (out / "index.html").is_file()
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "ok"
    # The notebook papermill ran is the installed package's.
    executed = json.loads((folder / "report.ipynb").read_text())
    ran = Path(executed["metadata"]["papermill"]["input_path"])
    assert ran.is_relative_to(fresh_venv) and ran.name == "clip_report.ipynb"
