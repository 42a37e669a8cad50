"""The one device decision: "auto" | "cpu" | "cuda" | "cuda:N", checked and resolved here.

`check_device` (the rule, torch-free: the settings and the command line use it) and
`resolve_device` (the torch device, resolved once and passed down) are the only places that
know the device names.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from emohelpers.core.errors import ParameterError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")

#: What a device request may be, in words (error messages, help, notebook comments).
DEVICE_ALLOWED = '"auto", "cpu", "cuda" or "cuda:N"'


def is_device_name(name: str) -> bool:
    """Whether `name` (lower case, stripped) is a device request."""
    return name in DEVICES or (name.startswith("cuda:") and name[5:].isdigit())


def check_device(device: object) -> str:
    """A device request, normalised ("CUDA:1 " -> "cuda:1").

    Raises:
        ValueError: for anything that is not a device request (a `ParameterError`, naming
            the value and what is allowed).
    """
    name = str(device).strip().lower()
    if not is_device_name(name):
        raise ParameterError(f"device={device!r}: invalid; allowed: {DEVICE_ALLOWED}")
    return name


def recorded_device(value: object) -> str:
    """The device request to record from a provenance value: itself if valid, else "auto"."""
    name = str(value or "auto").strip().lower()
    return name if is_device_name(name) else "auto"


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Resolve a device request into a torch device.

    Args:
        device: "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".

    Raises:
        ParameterError: for an unknown name, or "cuda" on a machine without CUDA.
    """
    import torch  # torch only when a device is resolved: the rules above stay torch-free

    if isinstance(device, torch.device):
        return device
    name = check_device(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(
            f"device={device!r}: no CUDA device is available here; use --device cpu or auto"
        )
    return torch.device(name)


def fast_bf16(device: torch.device) -> bool:
    """Whether bfloat16 arithmetic is native on `device`: CUDA, or a CPU whose flags name
    AVX512-BF16 or AMX-BF16 (elsewhere torch emulates it, slower than float32)."""
    if device.type == "cuda":
        return True
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo") as f:  # Linux; elsewhere: float32
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
