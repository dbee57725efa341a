# The two set-up commands of the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
PORT ?= 5000

.PHONY: demo test test-floor install lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

demo: $(BIN)/python
	$(BIN)/pip install -q -e '.[shop]'
	$(BIN)/flask --app example_shop run --port $(PORT)

test: install
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; fi
	$(BIN)/pytest $(PYTEST_ARGS)

# The lowest supported versions (pyproject's floors, pinned exactly) in a second venv, .venv-floor: a smaller run.
test-floor:
	PYTHON=$(PYTHON) bash .ci/floor.sh

lint: install
	$(BIN)/ruff check flask_consent example_shop tests bench
	$(BIN)/mypy
