"""The one error hierarchy of emohelpers.

Every message names the file (or parameter), the problem and, where there is one, the fix.
"""


class EmoError(Exception):
    """Base class of every error raised on purpose by emohelpers."""


class VideoReadError(EmoError):
    """A video file is missing, empty, corrupt, has no video stream, or is not a file."""


class ModelLoadError(EmoError):
    """A detector or classifier could not be loaded (missing weights, unmappable labels...)."""


class SchemaError(EmoError):
    """A table does not follow the emotion-table contract (columns, dtypes, probabilities)."""


class ParameterError(EmoError, ValueError):
    """A parameter is unknown or out of its allowed range."""


class AssetError(EmoError):
    """A bundled asset (offline weights, sample clips) could not be fetched or unpacked."""


class AudioReadError(VideoReadError):
    """An audio file or a clip's sound track is missing, empty, corrupt or not audio."""


class OutputError(EmoError):
    """An output location cannot be created or written (a file in the way, read-only...)."""


class DiskFullError(OutputError, OSError):
    """No space left on the device (or in the quota) while writing a file (an `OSError`
    too, as the error it replaces)."""


class CastError(ParameterError):
    """A cast folder (`--cast`: reference photos of named persons) cannot be enrolled: it is
    missing or empty, or a photo is unreadable or shows no face."""
