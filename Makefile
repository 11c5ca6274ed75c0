# refdesk: `make run` serves the demo desk, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export REFDESK_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export REFDESK_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install run test test-fast test-engines lint format bench chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@REFDESK_DEBUG=1 $(VENV)/bin/refdesk migrate
	@REFDESK_DEBUG=1 $(VENV)/bin/refdesk demo
	@echo
	@echo "  refdesk is running at http://$(HOST):$(PORT)/"
	@echo "    Patron ask pages:   http://$(HOST):$(PORT)/ask/north/  (also /ask/south/, /ask/downtown/)"
	@echo "    Widget on a page:   http://$(HOST):$(PORT)/example/north/"
	@echo "    Librarian console:  http://$(HOST):$(PORT)/console/"
	@echo "    Log in as ana, ben, cai (librarians), dee (supervisor) or admin;"
	@echo "    every demo password is: refdesk-demo"
	@echo "  Stop with Ctrl-C."
	@echo
	@REFDESK_DEBUG=1 $(VENV)/bin/refdesk serve --host $(HOST) --port $(PORT)

# Debian's Chromium drives the browser tests; install it when we may.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium missing: run 'sudo apt-get install -y chromium' for the browser tests"; fi; }

test: $(STAMP) chromium
	$(PY) -m pytest
	@$(MAKE) --no-print-directory test-engines

# The engine-sensitive tests again, on PostgreSQL and Redis.
test-engines: $(STAMP)
	@$(PY) tests/services.py; status=$$?; \
	if [ $$status = 0 ]; then \
	  REFDESK_DATABASE_URL=$(REFDESK_TEST_DATABASE_URL) REFDESK_REDIS_URL=$(REFDESK_TEST_REDIS_URL) \
	    $(PY) -m pytest -m engines -p no:cacheprovider; \
	elif [ $$status = 2 ]; then true; else exit 1; fi

test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: $(STAMP)
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts
