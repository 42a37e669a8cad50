"""Face detection with facenet-pytorch's MTCNN, on batches of frames, all faces, largest first.

MTCNN's weights ship inside the facenet-pytorch wheel, so detection works offline.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from facenet_pytorch import MTCNN

from emohelpers.analysis.mtcnn_stages import integral_image, mtcnn_stages
from emohelpers.core.errors import ModelLoadError, ParameterError
from emohelpers.core.settings import DetectorSettings  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

#: Pixels of P-Net input (the first, largest pyramid level) per detector call: its
#: activations take ~100 bytes a pixel, so this bounds them at ~200 MB whatever the video.
PNET_PIXELS_PER_CALL = 2_000_000


@dataclass(frozen=True)
class Detections:
    """The faces found in one frame, largest first.

    Attributes:
        xyxy: (n, 4) float32 boxes in source-frame pixels (x1, y1, x2, y2).
        det_prob: (n,) float32 detector confidences.
        landmarks: (n, 5, 2) float32 MTCNN landmarks in source-frame pixels (left eye, right
            eye, nose, left and right mouth corner), or None where the detector gave none.
    """

    xyxy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    det_prob: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    landmarks: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"Detections.xyxy: expected shape (n, 4), got {self.xyxy.shape}")
        if self.det_prob.shape != (len(self.xyxy),):
            raise ValueError(
                f"Detections.det_prob: expected shape ({len(self.xyxy)},), "
                f"got {self.det_prob.shape}"
            )
        if self.landmarks is not None and self.landmarks.shape != (len(self.xyxy), 5, 2):
            raise ValueError(
                f"Detections.landmarks: expected shape ({len(self.xyxy)}, 5, 2), "
                f"got {self.landmarks.shape}"
            )

    def __len__(self) -> int:
        return len(self.xyxy)


class FaceDetector:
    """MTCNN over batches of equally sized frames.

    Args:
        settings: detector settings.
        device: torch device for the three networks.
        batch_size: frames per MTCNN call.
        stages: "batched" runs facenet-pytorch's three networks and weights through
            `mtcnn_stages` (one call per stage for the whole batch; same boxes); "facenet"
            calls facenet-pytorch's own `MTCNN.detect` (the reference, slower).
    """

    name = "facenet_pytorch.MTCNN"

    def __init__(
        self,
        settings: DetectorSettings | None = None,
        device: torch.device = torch.device("cpu"),
        batch_size: int = 16,
        stages: str = "batched",
    ) -> None:
        if stages not in ("batched", "facenet"):
            raise ParameterError(f"stages={stages!r}: expected 'batched' or 'facenet'")
        self.settings = settings or DetectorSettings()
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        self.stages = stages
        try:
            self._mtcnn = MTCNN(
                keep_all=True,
                min_face_size=self.settings.min_face_px,
                thresholds=list(self.settings.thresholds),
                factor=self.settings.factor,
                post_process=False,
                device=self.device,
            )
        except (OSError, RuntimeError) as exc:
            raise ModelLoadError(
                f"MTCNN: cannot load its weights from facenet-pytorch ({exc}); reinstall with "
                "`make setup`"
            ) from exc
        # Max-pooling and convolutions run 2-3x faster on channels-last activations here;
        # copies, so that the "facenet" reference path keeps facenet-pytorch's own layout.
        self._nets = tuple(
            copy.deepcopy(net).to(memory_format=torch.channels_last)
            for net in (self._mtcnn.pnet, self._mtcnn.rnet, self._mtcnn.onet)
        )
        self._table: torch.Tensor | None = None  # reused integral-image buffer

    def info(self) -> dict[str, Any]:
        """What the provenance records about the detector."""
        s = self.settings
        return {
            "name": self.name,
            "stages": self.stages,
            "min_face_px": s.min_face_px,
            "thresholds": list(s.thresholds),
            "factor": s.factor,
            "min_det_prob": s.min_det_prob,
            "margin": s.margin,
            "max_side_px": s.max_side_px,
            "device": str(self.device),
            "batch_size": self.batch_size,
        }

    def _scale_for(self, h: int, w: int) -> float:
        m = self.settings.max_side_px
        return 1.0 if m is None or max(h, w) <= m else m / max(h, w)

    def detect(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        """Find all faces in each frame.

        Args:
            frames: N frames, each (h, w, 3) uint8 RGB, all of one size.

        Returns:
            N `Detections`, boxes in source-frame pixels, largest face first.
        """
        out: list[Detections] = []
        size = self.frames_per_call(*frames[0].shape[:2]) if len(frames) else 1
        for start in range(0, len(frames), size):
            out.extend(self._detect_batch(frames[start : start + size]))
        return out

    def frames_per_call(self, h: int, w: int) -> int:
        """Frames of (h, w) pixels per MTCNN call: `batch_size`, fewer where the first
        pyramid level is large (high resolution and a small minimum face in its pixels)."""
        scale = self._scale_for(h, w)
        min_face = max(12, int(round(self.settings.min_face_px * scale)))
        first_level_px = (h * scale) * (w * scale) * (12 / min_face) ** 2
        return max(1, min(self.batch_size, int(PNET_PIXELS_PER_CALL // max(first_level_px, 1))))

    def _detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if not len(frames):
            return []
        h, w = frames[0].shape[:2]
        scale = self._scale_for(h, w)
        if scale == 1.0:
            batch = torch.from_numpy(np.stack(frames)).to(self.device)  # (N, h, w, 3) uint8
        else:
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            batch = torch.stack([_downscale(f, size, self.device) for f in frames])
        # min_face_px is in source pixels; MTCNN searches in the (maybe) downscaled image.
        min_face = max(12, int(round(self.settings.min_face_px * scale)))
        with torch.inference_mode():
            if self.stages == "facenet":
                self._mtcnn.min_face_size = min_face
                boxes, probs, points = self._mtcnn.detect(batch, landmarks=True)
                found = [
                    np.zeros((0, 15)) if b is None else np.column_stack([b, p, q.reshape(-1, 10)])
                    for b, p, q in zip(boxes, probs, points, strict=True)
                ]
            else:
                found = self._detect_batched(batch, min_face)
        result = []
        for f in found:
            b = np.asarray(f[:, :4], dtype=np.float32).reshape(-1, 4) / scale
            p = np.asarray(f[:, 4], dtype=np.float32).reshape(-1)
            marks = np.asarray(f[:, 5:15], dtype=np.float32).reshape(-1, 5, 2) / scale
            keep = p >= self.settings.min_det_prob
            b, p, marks = b[keep], p[keep], marks[keep]
            b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
            b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
            area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
            order = np.argsort(-area, kind="stable")
            result.append(Detections(xyxy=b[order], det_prob=p[order], landmarks=marks[order]))
        return result

    def _detect_batched(self, batch: torch.Tensor, min_face: int) -> list[np.ndarray]:
        """`mtcnn_stages` on (N, h, w, 3) frames: N arrays of (n, 15): box, prob, landmarks."""
        table = integral_image(batch, self._table)
        if self._table is None or table.data_ptr() != self._table.data_ptr():
            self._table = table  # a new buffer (first call, or another frame size)
        m = self._mtcnn
        xyxyp, inds = mtcnn_stages(table, self._nets, min_face, m.thresholds, m.factor)
        return [xyxyp[inds == i] for i in range(len(batch))]


def _downscale(rgb: np.ndarray, size: tuple[int, int], device: torch.device) -> torch.Tensor:
    """One frame area-resampled to `size` (h, w), rounded back to uint8 like a smaller video.

    Frame by frame, so that a batch of large frames never exists in float.
    """
    x = torch.from_numpy(rgb).to(device).permute(2, 0, 1)[None].float()
    x = torch.nn.functional.interpolate(x, size=size, mode="area")
    return x[0].permute(1, 2, 0).round_().clamp_(0, 255).to(torch.uint8)


def square_box(xyxy: np.ndarray, margin: float) -> np.ndarray:
    """Square boxes around faces, grown by `margin` of the longer side on each side.

    Args:
        xyxy: (n, 4) float boxes.
        margin: fraction of the box's longer side added on every side.

    Returns:
        (n, 4) int64 square boxes (may extend past the frame).
    """
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
    side = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]) * (1 + 2 * margin)
    half = np.maximum(side, 2) / 2
    return np.stack([cx - half, cy - half, cx + half, cy + half], axis=1).round().astype(np.int64)


def crop_faces(rgb: np.ndarray, xyxy: np.ndarray, margin: float = 0.1) -> list[np.ndarray]:
    """Square face crops from a source frame; parts outside the frame repeat its edge.

    Args:
        rgb: (h, w, 3) uint8 frame.
        xyxy: (n, 4) boxes in that frame's pixels.
        margin: see `square_box`.

    Returns:
        n crops, each (s, s, 3) uint8 (copies, the frame is untouched).
    """
    h, w = rgb.shape[:2]
    crops = []
    for x1, y1, x2, y2 in square_box(xyxy, margin):
        cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
        if cx2 <= cx1 or cy2 <= cy1:
            crops.append(np.zeros((max(x2 - x1, 1), max(x2 - x1, 1), 3), np.uint8))
            continue
        crop = rgb[cy1:cy2, cx1:cx2]
        pad = ((cy1 - y1, y2 - cy2), (cx1 - x1, x2 - cx2), (0, 0))
        crops.append(np.pad(crop, pad, mode="edge") if any(sum(p) for p in pad) else crop.copy())
    return crops
