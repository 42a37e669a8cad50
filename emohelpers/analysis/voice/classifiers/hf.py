"""Any Hugging Face `transformers` audio-classification model with seven emotion labels.

A Hub id is loaded from the local Hugging Face cache when it is there (the network is used
only when the cache lacks it); a local folder (save_pretrained) works offline. Labels are
mapped onto `EMOTIONS` by the same rules as the face models (`classifiers.labels`); a model
whose labels cannot be mapped is refused.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from emohelpers.analysis.classifiers.hf import cached_revision, load_pretrained
from emohelpers.analysis.classifiers.labels import label_permutation
from emohelpers.analysis.voice.audio import SAMPLE_RATE
from emohelpers.analysis.voice.classifiers.base import VoiceClassifier
from emohelpers.core.errors import ModelLoadError

log = logging.getLogger(__name__)

_HINT = (
    "Fixes: use the offline voice model with --voice-model voice-cnn; or pass a folder saved "
    "with save_pretrained; or run once where the Hugging Face Hub is reachable so that the "
    "model lands in the local cache (~/.cache/huggingface)."
)


def voice_label_permutation(labels: list[str], source: str) -> np.ndarray:
    """Indices that reorder a voice model's outputs into `EMOTIONS` order, by the face
    models' rules ("calm" is read as neutral; "ang", "hap" are not accepted).

    Raises:
        ModelLoadError: when the labels are not exactly the seven emotions.
    """
    return label_permutation(
        labels,
        source,
        kind="emotions",
        fix="use a 7-class speech-emotion model or --voice-model voice-cnn",
    )


class HFVoiceClassifier(VoiceClassifier):
    """A transformers audio classifier (wav2vec2, HuBERT, WavLM, ...).

    Args:
        model_id: a Hub id or a local folder.
        device: torch device.
        batch_size: windows per forward pass.

    Raises:
        ModelLoadError: the model cannot be loaded, or its labels are not the seven.
    """

    def __init__(
        self, model_id: str | Path, device: torch.device = torch.device("cpu"), batch_size=16
    ) -> None:
        super().__init__(device, batch_size)
        source = str(model_id)
        is_folder = Path(source).is_dir()
        self.extractor, model = load_pretrained(
            source,
            ("AutoFeatureExtractor", "AutoModelForAudioClassification"),
            what="audio classifier",
            hint=_HINT,
        )
        rate = getattr(self.extractor, "sampling_rate", SAMPLE_RATE)
        if rate != SAMPLE_RATE:
            raise ModelLoadError(
                f"{source}: expects {rate} Hz audio; the voice channel runs at {SAMPLE_RATE} Hz"
            )
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.perm = torch.as_tensor(voice_label_permutation(self.labels, source))
        self.model = model.eval().to(device)
        self.name = str(Path(source).resolve()) if is_folder else source
        self.revision = getattr(model.config, "_commit_hash", None) or (
            "local folder" if is_folder else cached_revision(source)
        )

    def _forward(self, windows: list[np.ndarray]) -> np.ndarray:
        inputs = self.extractor(
            windows, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True
        )
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        with torch.inference_mode():
            logits = self.model(**inputs).logits.float()
            probs = torch.softmax(logits.index_select(1, self.perm.to(self.device)), dim=1)
            return probs.cpu().numpy()

    def info(self) -> dict:
        d = super().info()
        d["labels"] = self.labels
        return d
