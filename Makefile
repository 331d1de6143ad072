# govbot — `make run` starts the console chat on the embedded default; `make test` runs
# everything CI runs. Both install into .venv first; install output goes to .install.log so
# that it never mixes into govbot's own output (a pipe into `make run` reads only replies).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
LOG    := .install.log
# opa-golib-python-bindings embeds the OPA engine. It declares Python >= 3.14 but runs on
# 3.11, so pip refuses it as a pyproject dependency: install it on its own, without the
# version check and without dependencies (it has none).
OPA_BINDINGS := opa-golib-python-bindings==0.4.4

.PHONY: run test lint check-types bench install install-test clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "govbot needs Python >= 3.11 (set PYTHON=python3.11)" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: $(BIN)/python pyproject.toml
	@$(BIN)/pip install -q -e . >$(LOG) 2>&1 || { cat $(LOG) >&2; exit 1; }
	@$(BIN)/pip install -q --ignore-requires-python --no-deps $(OPA_BINDINGS) >>$(LOG) 2>&1 || \
		{ cat $(LOG) >&2; exit 1; }
	@touch $@

$(VENV)/.test-installed: $(VENV)/.run-installed
	@$(BIN)/pip install -q -e '.[test,postgres]' >>$(LOG) 2>&1 || { cat $(LOG) >&2; exit 1; }
	@touch $@

install: $(VENV)/.run-installed
install-test: $(VENV)/.test-installed

run: $(VENV)/.run-installed
	@$(BIN)/govbot shell

lint: $(VENV)/.test-installed
	$(BIN)/ruff check bot commands policies tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy --strict bench

check-types: $(VENV)/.test-installed
	$(BIN)/mypy

# the suite runs on every core CI has (2); each worker gets its own PostgreSQL database
WORKERS ?= 2

test: lint check-types
	$(BIN)/python -m pytest -n $(WORKERS)

# every performance figure at full size (not in CI; tests/bench runs it at tiny sizes):
# prints the table, writes bench/results.json and rewrites the README's table from it
bench: $(VENV)/.test-installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/report.py --readme README.md

clean:
	rm -rf $(VENV) $(LOG) .govbot
