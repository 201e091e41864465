# The two commands of the README:
#   make demo   - the typeahead demo on the bundled catalog, with a SQLite click store
#   make test   - installs everything the tests need (system packages too) and runs them all
# Each creates its own virtual environment; nothing needs installing by hand.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The C extensions (src/autocomplete/*/*.c, sharing src/autocomplete/*.h) are compiled by the
# install: rebuild when they change.
EXTENSIONS := $(wildcard src/autocomplete/*/*.c src/autocomplete/*.h)
$(VENV)/.runtime: pyproject.toml setup.py $(EXTENSIONS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.testing: pyproject.toml setup.py $(EXTENSIONS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	mkdir -p var
	$(BIN)/autocomplete serve --host $(HOST) --port $(PORT) --feedback sqlite:///var/clicks.db

test: $(VENV)/.testing
	bash scripts/install-system-packages.sh
	$(BIN)/ruff check src tests benchmarks web data scripts conftest.py
	$(BIN)/ruff format --check src tests benchmarks web data scripts conftest.py
	$(BIN)/mypy
	$(BIN)/pytest -q
	bash scripts/check_extensions.sh

# The typo-correction evaluation against the peers (about 5 minutes); writes docs/eval/.
eval: $(VENV)/.testing
	$(BIN)/autocomplete eval --queries-per-category 300 --seed 0 --peers all --output-dir docs/eval

bench: $(VENV)/.testing
	$(BIN)/pytest --benchmark-only

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache build src/autocomplete/*/*.so
