"""Voice-activity detection: silero-vad, ported to a batched PyTorch module.

The weights are those of `silero_vad/data/silero_vad.jit` in the `silero-vad==6.2.3` wheel
(MIT), fetched into the asset cache with a pinned sha256 (see `core.assets`); the package
itself is not installed. The stock model is streaming: one 32 ms frame (512 samples at
16 kHz, plus the previous frame's last 64 samples as context) per call, carrying an LSTM
state in a Python loop (~30x real time here). Everything before the LSTM is per frame, so
this port runs the STFT and convolutions on all frames of a chunk at once and the LSTM as
one `nn.LSTM` call: the same numbers (to ~1e-6, a test checks it against the original
TorchScript model) at several hundred times real time on one CPU core.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from emohelpers.core.assets import vad_weights
from emohelpers.core.errors import ModelLoadError

log = logging.getLogger(__name__)

#: Samples per VAD frame at 16 kHz (32 ms), and context samples carried from the previous one.
FRAME = 512
CONTEXT = 64
FRAME_S = FRAME / 16000


def _jit_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is "deprecated"
            jit = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, OSError, ValueError) as exc:
        raise ModelLoadError(
            f"{path}: cannot load the silero-vad TorchScript model ({exc}); delete it and run "
            "`emohelpers fetch-assets`"
        ) from exc
    return {k[len("_model.") :]: v for k, v in jit.state_dict().items() if k.startswith("_model.")}


class SileroNet(torch.nn.Module):
    """silero-vad's 16 kHz network: frames with context -> speech probability per frame."""

    basis: torch.Tensor

    def __init__(self, state_dict: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.register_buffer("basis", state_dict["stft.forward_basis_buffer"].clone())
        self.convs = torch.nn.ModuleList()
        for i, stride in enumerate((1, 2, 2, 1)):
            w = state_dict[f"encoder.{i}.reparam_conv.weight"]
            conv = torch.nn.Conv1d(w.shape[1], w.shape[0], 3, stride=stride, padding=1)
            conv.load_state_dict(
                {"weight": w, "bias": state_dict[f"encoder.{i}.reparam_conv.bias"]}
            )
            self.convs.append(conv)
        self.lstm = torch.nn.LSTM(128, 128, batch_first=True)
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        self.lstm.load_state_dict({f"{n}_l0": state_dict[f"decoder.rnn.{n}"] for n in names})
        w = state_dict["decoder.decoder.2.weight"]
        self.head = torch.nn.Conv1d(w.shape[1], 1, 1)
        self.head.load_state_dict({"weight": w, "bias": state_dict["decoder.decoder.2.bias"]})

    def forward(
        self, frames: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Speech probabilities of consecutive frames.

        Args:
            frames: (F, 576) float32, each frame's 64 context samples then its 512 samples.
            state: the LSTM's (h, c), each (1, 1, 128), from the previous call; None at start.

        Returns:
            ((F,) probabilities in [0, 1], the new state).
        """
        x = F.pad(frames.unsqueeze(1), (0, CONTEXT), mode="reflect")
        spec = F.conv1d(x, self.basis, stride=128)
        cut = self.basis.shape[0] // 2
        x = torch.sqrt(spec[:, :cut] ** 2 + spec[:, cut:] ** 2)
        for conv in self.convs:
            x = F.relu(conv(x))
        h, state = self.lstm(x.squeeze(-1).unsqueeze(0), state)
        p = torch.sigmoid(self.head(F.relu(h[0]).unsqueeze(-1)))
        return p.reshape(-1), state


class SpeechDetector:
    """Streaming voice-activity detection: feed 16 kHz chunks, get one probability per 32 ms.

    Probability `i` (over the whole stream) is for samples `[512 i, 512 (i + 1))`. State and
    context carry across `process` calls, so a stream cut into any chunks gives the same
    probabilities as one call; `flush` zero-pads and scores the last partial frame.

    Args:
        weights: the silero-vad TorchScript file (default: fetched into the asset cache).
        device: torch device to run on.
    """

    name = "silero-vad 6.2.3"

    def __init__(self, weights: str | Path | None = None, device: torch.device | None = None):
        if weights is None:
            weights = vad_weights()
        self.device = device or torch.device("cpu")
        self.net = SileroNet(_jit_state_dict(Path(weights))).to(self.device).eval()
        self.reset()

    def reset(self) -> None:
        """Start a new stream."""
        self._state = None
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)

    def _score(self, samples: np.ndarray) -> np.ndarray:
        frames = samples.reshape(-1, FRAME)
        ctx = np.concatenate([self._context[None], frames[:-1, -CONTEXT:]], axis=0)
        batch = torch.from_numpy(np.concatenate([ctx, frames], axis=1)).to(self.device)
        with torch.inference_mode():
            probs, self._state = self.net(batch, self._state)
        self._context = frames[-1, -CONTEXT:].copy()
        return probs.float().cpu().numpy()

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Speech probabilities of the complete frames now available.

        Args:
            samples: (n,) float32 mono at 16 kHz, continuing the stream.

        Returns:
            (k,) float32 probabilities, one per newly complete 512-sample frame.
        """
        x = np.concatenate([self._rest, np.asarray(samples, dtype=np.float32).reshape(-1)])
        n = len(x) // FRAME * FRAME
        self._rest = x[n:]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        return self._score(x[:n])

    def flush(self) -> np.ndarray:
        """The probability of the last partial frame, zero-padded: (0,) or (1,) float32."""
        if not len(self._rest):
            return np.zeros(0, dtype=np.float32)
        x = np.zeros(FRAME, dtype=np.float32)
        x[: len(self._rest)] = self._rest
        self._rest = np.zeros(0, dtype=np.float32)
        return self._score(x)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities for a whole signal (a new stream): (ceil(n / 512),) float32."""
        self.reset()
        out = np.concatenate([self.process(samples), self.flush()])
        self.reset()
        return out
