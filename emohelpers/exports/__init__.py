"""Exports for other tools: CSV tables, ELAN annotation files (EAF 3.0) and subtitles (SRT),
from a clip's analysis folder or a corpus folder (`exports.files.export`)."""

from emohelpers.exports.files import FORMATS, export

__all__ = ["FORMATS", "export"]
