"""The corpus run shared by the corpus tests: made once per session, on first use."""

from __future__ import annotations

import pytest
from corpus_cases import FAST, make_corpus


@pytest.fixture(scope="session")
def corpus(sample_dir, tmp_path_factory):
    """(run, out_dir, manifest): a 2-worker LocalCluster run over `make_corpus`."""
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs

    root = tmp_path_factory.mktemp("corpus")
    manifest = make_corpus(root, sample_dir)
    out = root / "out"
    run = run_corpus(read_inputs([manifest]), out, FAST, workers=2, progress=False)
    return run, out, manifest
