# Gridwatch: `make run` and `make test` set up everything on a machine with Python 3.11 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
UV := $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help run test bench install chromium lint messages

help:
	@echo "make run    install, migrate, load the demo, serve on http://127.0.0.1:8000"
	@echo "make test   install, lint, the whole suite on SQLite, database tests on PostgreSQL"
	@echo "make bench  benchmarks under bench/ (results in bench/results/)"

$(UV):
	python3 -m pip install --user --quiet "uv>=0.5" \
	  || python3 -m pip install --user --quiet --break-system-packages "uv>=0.5"

install: $(UV)
	$(UV) sync --locked --quiet

# Browser tests drive Debian's Chromium; Playwright never downloads a browser. Layout is
# judged with the Chinese fonts real phones have (fonts-noto-cjk).
chromium:
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; } || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

run: install
	$(BIN)/gridwatch migrate
	$(BIN)/gridwatch demo
	$(BIN)/gridwatch serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install chromium lint
	$(BIN)/pytest
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -m db --db=postgres

bench: install chromium
	npm ci --prefix bench --silent --no-audit --no-fund  # Node's web-push, the fan-out baseline
	$(BIN)/python -m bench

# Extract messages and merge them into both catalogs; then translate the new zh_Hans entries.
messages: install
	$(BIN)/pybabel extract -F pwa/locales/babel.cfg -k N_ --no-location --sort-output \
	  -o pwa/locales/messages.pot .
	$(BIN)/pybabel update -i pwa/locales/messages.pot -d pwa/locales --no-fuzzy-matching --ignore-obsolete
