"""The one device decision: "auto" | "cpu" | "cuda", resolved once and passed down."""

from __future__ import annotations

import logging

import torch

from emohelpers.core.errors import ParameterError

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Resolve a device request into a torch device.

    Args:
        device: "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".

    Raises:
        ParameterError: for an unknown name, or "cuda" on a machine without CUDA.
    """
    if isinstance(device, torch.device):
        return device
    name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ParameterError(
                f"device={device!r}: no CUDA device is available here; use --device cpu or auto"
            )
        return torch.device(name)
    raise ParameterError(f"device={device!r}: unknown; allowed values are {list(DEVICES)}")
