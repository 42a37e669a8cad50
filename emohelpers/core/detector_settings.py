"""MTCNN's settings, in a module of their own so that the command line can read the defaults
without importing torch (seconds at every `emohelpers --help`)."""

from __future__ import annotations

from dataclasses import dataclass

from emohelpers.core.errors import ParameterError


@dataclass(frozen=True)
class DetectorSettings:
    """MTCNN settings, all recorded in the provenance.

    Attributes:
        min_face_px: smallest face side searched for, in source-frame pixels.
        thresholds: MTCNN's three stage thresholds (P-Net, R-Net, O-Net).
        factor: scale step of the image pyramid.
        min_det_prob: faces below this final confidence are dropped.
        margin: crop margin around each box, as a fraction of the box's longer side.
        max_side_px: frames are downscaled so their longer side is at most this before
            detection (boxes are mapped back to source pixels); None keeps full size.

    Cost and the smallest face found: P-Net scans an image pyramid whose largest level is
    the frame scaled by 12 / min_face_px, so detection time grows with
    (frame side / min_face_px)^2; frames above `max_side_px` are searched at that size, so
    the smallest face found is max(min_face_px, 12 * longer side / max_side_px) source
    pixels. The defaults leave frames up to 960 px (all the sample clips) at full size,
    find faces from 40 px, and bound the memory of HD and 4K batches; for HD video whose
    faces are large, a larger min_face_px (e.g. 120) is 2x faster (docs/benchmark.md).
    """

    min_face_px: int = 40
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    factor: float = 0.709
    min_det_prob: float = 0.9
    margin: float = 0.1
    max_side_px: int | None = 960

    def __post_init__(self) -> None:
        if self.min_face_px < 12:
            raise ParameterError(f"min_face_px={self.min_face_px}: must be >= 12 (MTCNN's cell)")
        if len(self.thresholds) != 3 or not all(0 < t < 1 for t in self.thresholds):
            raise ParameterError(f"thresholds={self.thresholds}: three values in (0, 1)")
        if not 0 < self.factor < 1:
            raise ParameterError(f"factor={self.factor}: must be in (0, 1)")
        if not 0 <= self.min_det_prob <= 1:
            raise ParameterError(f"min_det_prob={self.min_det_prob}: must be in [0, 1]")
        if not 0 <= self.margin <= 1:
            raise ParameterError(f"margin={self.margin}: must be in [0, 1]")
        if self.max_side_px is not None and self.max_side_px < 32:
            raise ParameterError(f"max_side_px={self.max_side_px}: must be >= 32 or None")
