"""`--model auto` against the real local-cache check: a tiny ViT saved into a temporary
Hugging Face cache in the Hub's own layout, found (or not) by `in_local_cache`; nothing
patched. Each case runs in a child process, since huggingface_hub reads HF_HUB_CACHE when it
is imported."""

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


def test_auto_finds_the_vit_in_the_local_cache(tmp_path):
    assert _child(_RESOLVE, hub_cache_with(tmp_path / "hub")) == SEED_MODEL


def test_auto_falls_back_without_it(tmp_path):
    assert _child(_RESOLVE, tmp_path / "empty-hub") == "mini-xception"
    other = hub_cache_with(tmp_path / "other-hub", model_id="someone/another-model")
    assert _child(_RESOLVE, other) == "mini-xception"


def test_auto_needs_the_weights_not_just_the_config(tmp_path):
    cache = hub_cache_with(tmp_path / "hub")
    snapshot = next(cache.glob("models--*/snapshots/*"))
    for weights in snapshot.glob("*.safetensors"):
        weights.unlink()
    assert _child(_RESOLVE, cache) == "mini-xception"


@pytest.mark.slow
def test_analyze_with_auto_uses_the_cached_vit(tmp_path, sample_dir):
    """The command line, offline: `--model auto` runs the cached ViT and names it."""
    out = tmp_path / "out"
    code = (
        "from emohelpers.cli.main import main; import sys; "
        f"sys.exit(main(['-q', 'analyze', {str(sample_dir / 'single_face.mp4')!r}, "
        f"'--model', 'auto', '--every-n', '12', '--out', {str(out)!r}]))"
    )
    _child(code + "\nprint('done')", hub_cache_with(tmp_path / "hub"))
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["classifier"]["name"] == SEED_MODEL
    assert prov["classifier"]["revision"] == REVISION
