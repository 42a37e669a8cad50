"""Images as data: JPEG bytes and data URIs, for pages, figures and widgets."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def jpeg_bytes(rgb: np.ndarray, width: int | None = None, quality: int = 82) -> bytes:
    """JPEG bytes of an RGB image, scaled down to `width` pixels if given.

    Args:
        rgb: (h, w, 3) uint8 RGB pixels.
        width: target width in pixels (never scaled up); None keeps the size.
        quality: JPEG quality, 1-95.
    """
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if width and image.width > width:
        image = image.resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
        )
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def image_data_uri(rgb: np.ndarray, width: int | None = None, quality: int = 82) -> str:
    """A JPEG data URI of an RGB image (see `jpeg_bytes`), for HTML and Plotly images."""
    data = jpeg_bytes(rgb, width, quality)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
