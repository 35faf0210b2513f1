# The two commands a newcomer needs: `make demo` and `make test`. Both run `make setup` first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= copy,ocr,diffusion,ray,serve,hosted,provenance,dev
# pip finds the machine's CPU torch wheel here when it exists; harmless when it does not.
WHEELS := $(wildcard /opt/wheels)
PIP_FLAGS := $(if $(WHEELS),--find-links $(WHEELS),)
STAMP := $(VENV)/.setup-stamp

.PHONY: setup system venv demo test test-fast lint typecheck schema clean

setup: system venv

system:
	@bash scripts/setup-system.sh

venv: $(STAMP)

# Reinstall only when the dependency list changed: `make setup` must stay cheap to call first.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	@touch $@

demo: setup
	$(BIN)/copyplate demo --out out/demo

# CI runs everything; `make test-fast` skips the end-to-end tests marked `slow` (local work).
test: lint
	$(BIN)/python -m pytest -n 2 -q

test-fast: lint
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

# ruff, mypy --strict and the layer contracts (import-linter, docs/architecture.md).
lint: setup
	$(BIN)/ruff check copyplate tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

schema: setup
	$(BIN)/copyplate schema --write

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
