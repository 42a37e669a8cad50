"""emohelpers: emotions in video, frame by frame, person by person."""

from importlib.metadata import PackageNotFoundError, version

from .table import EMOTIONS, Analysis, validate_table

try:
    __version__ = version("emohelpers")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["EMOTIONS", "Analysis", "validate_table", "__version__"]
