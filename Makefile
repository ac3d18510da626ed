# Two commands for a newcomer: `make run` and `make test`. Everything else is
# what they are made of. See README.md.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
# The suite in one process per core (pytest-xdist; each worker has its own database, Redis and files).
PYTEST_WORKERS ?= --numprocesses=auto --dist=load
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint format install assets messages makemessages bench lock \
	check-python check-npm check-chromium check-gettext clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: install assets messages ## Set up, load demo data and serve the site on http://$(HOST):$(PORT)/
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	@$(MANAGE) ensure_admin
	@$(MANAGE) site_info --url http://$(HOST):$(PORT)
	$(MANAGE) runserver $(HOST):$(PORT)

test: install assets messages check-chromium lint ## Run every check and the whole test suite
	$(BIN)/pytest $(PYTEST_WORKERS)

test-fast: install assets messages ## The suite without browser and slow tests
	$(BIN)/pytest $(PYTEST_WORKERS) -m "not e2e and not slow"

lint: install assets ## ruff, migrations in step with models, Django system checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check --fail-level WARNING

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install assets messages ## Load benchmarks (gunicorn on loopback); prints figures
	$(BIN)/python -m bench

# -- Building blocks ---------------------------------------------------------

install: $(VENV)/.installed ## Create the virtualenv and install pinned dependencies

$(VENV)/.installed: pyproject.toml constraints.txt | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

assets: node_modules/.installed ## Install Bootstrap and fonts from the npm registry (served by us, no CDN)

node_modules/.installed: package.json package-lock.json | check-npm
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

messages: $(MO_FILES) ## Compile translations (.po -> .mo)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	$(BIN)/pybabel compile --domain=django --input-file=$< --output-file=$@ --locale=$*

makemessages: install check-gettext ## Extract new UI strings into locale/ar (needs gettext)
	$(MANAGE) makemessages --locale=ar --no-obsolete --add-location=file \
		--ignore='.venv/*' --ignore='node_modules/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*'

lock: check-python ## Re-resolve dependencies and rewrite constraints.txt
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	/tmp/lock-venv/bin/python -m pip freeze --exclude-editable | sort -f > constraints.txt
	rm -rf /tmp/lock-venv
	@echo "constraints.txt updated; run make test"

clean: ## Remove the virtualenv, front-end packages and local state (var/)
	rm -rf $(VENV) node_modules var

# -- Saying plainly what is missing --------------------------------------------

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Python 3.11 or newer is needed as '$(PYTHON)' (found: $$($(PYTHON) --version 2>&1))."; \
		echo "On Debian or Ubuntu: apt-get install python3 python3-venv; or run: make run PYTHON=python3.11"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "Python's venv module is missing. On Debian or Ubuntu: apt-get install python3-venv"; exit 1; }

check-npm:
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm is missing: it installs Bootstrap and the Arabic font from the npm registry."; \
		echo "On Debian or Ubuntu: apt-get install npm (or install Node.js 18+ from nodejs.org)."; exit 1; }

check-chromium:
	@test -x "$(CHROMIUM)" || { \
		echo "Chromium is missing at $(CHROMIUM): the browser tests drive it."; \
		echo "On Debian: apt-get install chromium (or set CHROMIUM=/path/to/chromium),"; \
		echo "or run 'make test-fast' to skip the browser tests."; exit 1; }

check-gettext:
	@command -v xgettext >/dev/null 2>&1 || { \
		echo "gettext is missing (makemessages needs xgettext). On Debian or Ubuntu: apt-get install gettext"; exit 1; }
