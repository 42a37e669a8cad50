"""Corpus runs: many clips, one Dask task each, one corpus dataset and a corpus report.

Modules: `manifest` (which clips, with their metadata), `task` (one clip on a worker),
`dataset` (the corpus Parquet dataset and `clips.parquet`), `engine` (Dask: local cluster,
scheduler address or in-process), `report` (the corpus report's figures and its run).
"""
