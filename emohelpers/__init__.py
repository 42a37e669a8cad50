"""emohelpers: emotions in video, frame by frame, person by person."""

import os
from importlib.metadata import PackageNotFoundError, version

# OpenMP threads that spin while waiting make torch's many small ops (MTCNN's per-face
# resampling) up to 100x slower when another thread (our decoder) or process shares the
# cores. Passive waiting costs nothing measurable on big ops. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from emohelpers.analysis.table import EMOTIONS, Analysis, validate_table

try:
    __version__ = version("emohelpers")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["EMOTIONS", "Analysis", "validate_table", "__version__"]
