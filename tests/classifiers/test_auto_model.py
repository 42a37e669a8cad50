"""`--model auto` and the seeds' ViT against the real local-cache check: a tiny ViT saved
into a temporary Hugging Face cache in the Hub's own layout, found (or not) by
`in_local_cache`; nothing patched. Each case runs in a child process, since huggingface_hub
reads HF_HUB_CACHE when it is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_hf_classifier import save_tiny_vit

from emohelpers.analysis.classifiers.hf import SEED_MODEL

REVISION = "0123456789abcdef0123456789abcdef01234567"


def hub_cache_with(root: Path, model_id: str = SEED_MODEL, revision: str = REVISION) -> Path:
    """A Hugging Face hub cache holding a tiny ViT as `model_id` at `revision`:
    models--org--name/snapshots/<revision>/... and refs/main."""
    repo = root / f"models--{model_id.replace('/', '--')}"
    save_tiny_vit(repo / "snapshots" / revision)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    return root


def _child(code: str, cache: Path) -> str:
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


_RESOLVE = "from emohelpers.analysis.classifiers import resolve_model; print(resolve_model('auto'))"


def test_auto_is_the_own_model_with_or_without_the_vit(tmp_path):
    """`auto` is emo-vgg: the same model on every machine, whatever its caches hold."""
    assert _child(_RESOLVE, hub_cache_with(tmp_path / "hub")) == "emo-vgg"
    assert _child(_RESOLVE, tmp_path / "empty-hub") == "emo-vgg"


@pytest.mark.slow
def test_the_cached_vit_by_its_hub_id_offline(tmp_path, sample_dir):
    """The command line, offline: `--model <the ViT's Hub id>` runs the cached ViT and
    names it with its revision."""
    out = tmp_path / "out"
    code = (
        "from emohelpers.cli.main import main; import sys; "
        f"sys.exit(main(['-q', 'analyze', {str(sample_dir / 'single_face.mp4')!r}, "
        f"'--model', {SEED_MODEL!r}, '--every-n', '12', '--out', {str(out)!r}]))"
    )
    _child(code + "\nprint('done')", hub_cache_with(tmp_path / "hub"))
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["classifier"]["name"] == SEED_MODEL
    assert prov["classifier"]["revision"] == REVISION


_IN_CACHE = (
    "from emohelpers.analysis.classifiers.hf import SEED_MODEL, in_local_cache; "
    "print(in_local_cache(SEED_MODEL))"
)


def test_the_local_cache_check_needs_the_weights_not_just_the_config(tmp_path):
    cache = hub_cache_with(tmp_path / "hub")
    assert _child(_IN_CACHE, cache) == "True"
    assert _child(_IN_CACHE, hub_cache_with(tmp_path / "other", "someone/else")) == "False"
    snapshot = next(cache.glob("models--*/snapshots/*"))
    for weights in snapshot.glob("*.safetensors"):
        weights.unlink()
    assert _child(_IN_CACHE, cache) == "False"
