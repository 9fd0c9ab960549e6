# Set-up and checks. `make try` and `make test` work on a fresh machine with
# Python 3.11+; each creates its own virtualenv under .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: try test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

try: $(VENV)/.installed
	$(BIN)/mapbot try

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

unit: $(VENV)/.test-installed
	$(BIN)/pytest -q

test: lint typecheck
	bash scripts/test-databases.sh $(BIN)/pytest -q

bench: $(VENV)/.test-installed
	$(BIN)/python -m bench.status_roundtrip

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
