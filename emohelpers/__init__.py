"""emohelpers: emotions in video, frame by frame, person by person.

The public API: `analyze`, `Analyzer`, `Analysis`, `AnalysisSettings`, `EMOTIONS`,
`validate_table`, `export`.
Everything else has its home in a layer (see docs/architecture.md).
Importing it changes nothing in the process (no environment variables, renderers or log
filters): what a run needs, it sets for itself (`core.process_env`).
"""

from emohelpers.analysis.table import EMOTIONS, Analysis, validate_table
from emohelpers.core.settings import AnalysisSettings
from emohelpers.core.version import __version__

__all__ = [
    "EMOTIONS",
    "Analysis",
    "AnalysisSettings",
    "Analyzer",
    "analyze",
    "export",
    "validate_table",
    "__version__",
]


def __getattr__(name: str):
    if name == "analyze":
        # `analyze` loads torch: imported on first use, so that `import emohelpers` (and
        # the CLI's --help) stays light.
        from emohelpers.analysis.pipeline import analyze

        return analyze
    if name == "Analyzer":
        # The same: the analyzer's models need torch.
        from emohelpers.analysis.analyzer import Analyzer

        return Analyzer
    if name == "export":
        # The exports read the corpus dataset (pyarrow): imported on first use.
        from emohelpers.exports import export

        return export
    raise AttributeError(f"module 'emohelpers' has no attribute {name!r}")
