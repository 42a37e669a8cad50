"""Shared fixtures. Nothing heavy runs at import or collection time: the report batch runs
once per session, the first time a test asks for `report_dir`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from emohelpers.core.process_env import RUN_ENV

# This process runs analyses itself, as a command does: what a command sets for its run
# (`core.process_env.run_environment`) is set here before torch loads.
for _name, _value in RUN_ENV.items():
    os.environ.setdefault(_name, _value)

#: The settings of the test reports: a 2.4 s clip, every 8th frame, the offline model.
REPORT_CLIP = "single_face.mp4"
REPORT_SETTINGS = {"model": "mini-xception", "every_n": 8}
BROKEN_CLIP = "broken.mp4"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The folder of the sample clips (fetched into the cache on first use)."""
    from emohelpers.core.assets import sample_clips
    from emohelpers.core.errors import AssetError

    try:
        return sample_clips()[0].parent
    except AssetError as exc:
        pytest.skip(f"sample clips unavailable: {exc}")


@dataclass(frozen=True)
class ReportBatch:
    """A report batch made once per session: a sample clip and a corrupt file."""

    out: Path
    results: list
    seconds: float

    @property
    def good(self):
        return self.results[0]

    @property
    def broken(self):
        return self.results[1]


@pytest.fixture(scope="session")
def report_dir(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportBatch:
    """`run_reports` on the sample clip `REPORT_CLIP` and a corrupt `broken.mp4`."""
    import time

    from emohelpers.core.settings import AnalysisSettings
    from emohelpers.report.run import run_reports

    inputs = tmp_path_factory.mktemp("report-inputs")
    (inputs / BROKEN_CLIP).write_bytes(b"this is not a video\n" * 50)
    out = tmp_path_factory.mktemp("reports")
    t0 = time.perf_counter()
    settings = AnalysisSettings.from_flat(**REPORT_SETTINGS)
    results = run_reports(
        [sample_dir / REPORT_CLIP, inputs / BROKEN_CLIP], out, settings, progress=False
    )
    return ReportBatch(out=out, results=results, seconds=time.perf_counter() - t0)
