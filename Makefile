# The two commands of the README: `make report` (the main job) and `make test`.
# Both set themselves up first (tools/setup.sh is idempotent and fast when nothing is to do).
VENV ?= .venv
BIN := $(VENV)/bin
VIDEOS ?= videos
OUT ?= outputs

.PHONY: setup report analyze lab test test-fast bench lint clean-outputs

setup:
	@bash tools/setup.sh

report: setup
	$(BIN)/emohelpers report $(VIDEOS) --out $(OUT)

# JupyterLab on notebooks/ with the emohelpers kernel: loopback only, nothing fetched online.
lab: setup
	$(BIN)/python -m emohelpers.lab notebooks

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not notebooks and not browser"

bench: setup
	$(BIN)/python benchmarks/run.py

# ruff's lint and format with no line kept from the formatter (no `# fmt: skip`), then mypy.
lint: setup
	$(BIN)/ruff check emohelpers tests benchmarks tools
	$(BIN)/ruff format --check emohelpers tests benchmarks tools
	$(BIN)/python -m pytest -q --runxfail tests/test_architecture.py::test_the_formatter_formats_every_line
	$(BIN)/mypy emohelpers

clean-outputs:
	find $(OUT) -mindepth 1 ! -name README.md -exec rm -rf {} +
