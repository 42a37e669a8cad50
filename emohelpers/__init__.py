"""emohelpers: emotions in video, frame by frame, person by person.

The public API: `analyze`, `Analysis`, `AnalysisSettings`, `EMOTIONS`, `validate_table`.
Everything else has its home in a layer (see docs/architecture.md).
"""

import os

# OpenMP threads that spin while waiting make torch's many small ops (MTCNN's per-face
# resampling) up to 100x slower when another thread (our decoder) or process shares the
# cores. Passive waiting costs nothing measurable on big ops. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from emohelpers.analysis.table import EMOTIONS, Analysis, validate_table  # noqa: E402
from emohelpers.core.settings import AnalysisSettings  # noqa: E402
from emohelpers.core.version import __version__  # noqa: E402

__all__ = ["EMOTIONS", "Analysis", "AnalysisSettings", "analyze", "validate_table", "__version__"]


def __getattr__(name: str):
    # `analyze` loads torch: imported on first use, so that `import emohelpers` (and the
    # CLI's --help) stays light.
    if name == "analyze":
        from emohelpers.analysis.pipeline import analyze

        return analyze
    raise AttributeError(f"module 'emohelpers' has no attribute {name!r}")
