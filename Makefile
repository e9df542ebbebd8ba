# The two commands of the README:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check lint install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml scripts/install-test-deps.sh scripts/install-browser-test-deps.sh | $(BIN)/python
	VENV=$(VENV) sh scripts/install-test-deps.sh
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.test-installed

## make run: install into .venv, build the retrieval index if missing, serve the web UI + API
run: install
	$(BIN)/subsidy index
	$(BIN)/subsidy serve --host $(HOST) --port $(PORT)

## make test: install the test dependencies, lint, and run the whole test suite
test: install-test lint
	$(BIN)/python -m pytest

## make check: lint + the fast tier (no servers, subprocesses, PostgreSQL, real index or browser), < 1 min
check: install-test
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint && \
	$(BIN)/python -m pytest -n auto -m "not integration and not browser"; status=$$?; \
	echo "make check: $$(( $$(date +%s) - start )) s (lint + fast tier)"; exit $$status

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
