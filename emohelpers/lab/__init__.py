"""JupyterLab as the working surface: the lab server command, the clip explorer and the
corpus explorer (the layer above report and corpus, below the CLI)."""
