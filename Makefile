# refdesk: `make run` serves the demo desk, `make test` runs every test; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: one per core (pytest-xdist; each has its own databases and desk, and a
# test file stays in one process); WORKERS=0 runs the suite in this one.
WORKERS ?= auto
PARALLEL := -n $(WORKERS) --dist loadfile
DATA_DIR := $(or $(REFDESK_DATA_DIR),data)
export REFDESK_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export REFDESK_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help install run demo-reset test test-fast test-engines lint format bench clean

help:
	@echo "make install      create .venv and install refdesk with its development tools"
	@echo "make run          migrate, load the demo desk and serve it at http://$(HOST):$(PORT)/"
	@echo "                  options: PORT=8001 (another port), HOST=0.0.0.0 (every interface;"
	@echo "                  other machines also need REFDESK_ALLOWED_HOSTS=their-name-for-it)"
	@echo "make demo-reset   start the demo desk over: a fresh $(DATA_DIR)/refdesk.sqlite3 with the"
	@echo "                  demo loaded (.venv is kept)"
	@echo "make test         every test; says which suites it skipped (no Chromium, no"
	@echo "                  PostgreSQL or Redis) and why. Installs no system packages"
	@echo "make test-fast    the tests without the browser"
	@echo "make test-engines the engine tests again on PostgreSQL and Redis"
	@echo "make lint         ruff, mypy and the import layers"
	@echo "make format       format the code and apply ruff's fixes"
	@echo "make bench        the benchmark (ARGS=... for its options)"
	@echo "make clean        remove .venv, the data folder and the caches"

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
	@echo "  Stop with Ctrl-C. Another port or address: make run PORT=8001 HOST=0.0.0.0"
	@echo "  (see the README for REFDESK_ALLOWED_HOSTS)."
	@echo "  Start the demo over: make demo-reset"
	@echo
	@REFDESK_DEBUG=1 $(VENV)/bin/refdesk serve --host $(HOST) --port $(PORT)

# The demo desk's SQLite database goes, and a fresh one is migrated and loaded; .venv stays.
demo-reset: $(STAMP)
	@if [ -n "$$REFDESK_DATABASE_URL" ]; then \
	  echo "demo-reset resets only the demo desk's SQLite database in $(DATA_DIR)/;" \
	    "REFDESK_DATABASE_URL is set, so nothing was removed." >&2; exit 1; fi
	rm -f $(DATA_DIR)/refdesk.sqlite3 $(DATA_DIR)/refdesk.sqlite3-wal $(DATA_DIR)/refdesk.sqlite3-shm
	@REFDESK_DEBUG=1 REFDESK_DATA_DIR=$(DATA_DIR) $(VENV)/bin/refdesk migrate
	@REFDESK_DEBUG=1 REFDESK_DATA_DIR=$(DATA_DIR) $(VENV)/bin/refdesk demo
	@echo "The demo desk is new again; make run serves it."

# Installs no system packages (.ci/run installs Chromium on CI). Without Chromium the
# browser tests are left out, without PostgreSQL or Redis the engine run is; the last
# lines say which and why. CI's REFDESK_REQUIRE_BROWSER / _SERVICES make both failures.
test: $(STAMP)
	@status=0; \
	if $(PY) tests/services.py browser; then $(PY) -m pytest $(PARALLEL) || status=$$?; \
	else $(PY) -m pytest $(PARALLEL) -m "not browser" || status=$$?; fi; \
	$(MAKE) --no-print-directory test-engines || status=$$?; \
	echo; $(PY) tests/services.py summary; \
	exit $$status

# The engine-sensitive tests again, on PostgreSQL and Redis.
test-engines: $(STAMP)
	@$(PY) tests/services.py; status=$$?; \
	if [ $$status = 0 ]; then \
	  REFDESK_DATABASE_URL=$(REFDESK_TEST_DATABASE_URL) REFDESK_REDIS_URL=$(REFDESK_TEST_REDIS_URL) \
	    $(PY) -m pytest -m engines -p no:cacheprovider; \
	elif [ $$status = 2 ]; then true; else exit 1; fi

test-fast: $(STAMP)
	$(PY) -m pytest $(PARALLEL) -m "not browser"

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
