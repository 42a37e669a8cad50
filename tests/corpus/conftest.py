"""The corpus run shared by the corpus tests: made once per session, on first use."""

from __future__ import annotations

import os

import pytest
from corpus_cases import FAST, make_corpus


@pytest.fixture(autouse=True, scope="module")
def _keep_environ():
    """A Dask nanny sets its workers' variables (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_...)
    in this process too; later tests' child processes must not inherit them."""
    environ = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(environ)


@pytest.fixture(scope="session")
def corpus(sample_dir, tmp_path_factory):
    """(run, out_dir, manifest): a 2-worker LocalCluster run over `make_corpus`."""
    from emohelpers.corpus.engine import run_corpus
    from emohelpers.corpus.manifest import read_inputs

    root = tmp_path_factory.mktemp("corpus")
    manifest = make_corpus(root, sample_dir)
    out = root / "out"
    environ = dict(os.environ)  # see _keep_environ: this fixture is made before it
    try:
        run = run_corpus(read_inputs([manifest]), out, FAST, workers=2, progress=False)
    finally:
        os.environ.clear()
        os.environ.update(environ)
    return run, out, manifest
