# The two commands: `make run` (embedded defaults, no servers) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Where SQLite, static files and logs live (the settings read the same variable).
VAR_DIR := $(or $(COMMUNITY_VAR_DIR),var)

.PHONY: run test lint format install install-dev services system-packages bench-tools azurite migrate seed \
	schema clean messages catalogs infra-tools axe

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when the dependency files change.
# PyICU builds against the system's ICU (headers, pkg-config, g++): installed first.
$(VENV)/.runtime: $(BIN)/python pyproject.toml requirements.lock
	./infra/system-packages.sh icu
	$(BIN)/pip install -q -c requirements.lock -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

# The checkers of the deployment files (tests/infra/) live in their own virtualenv: checkov
# pins dozens of packages the service does not use.
TOOLS ?= .venv-tools
$(TOOLS)/.installed: infra/tools.txt infra/tools.lock
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q -c infra/tools.lock -r infra/tools.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev
infra-tools: $(TOOLS)/.installed
	./infra/system-packages.sh nginx compose systemd

migrate: install catalogs
	mkdir -p $(VAR_DIR)/static
	$(BIN)/python manage.py migrate --noinput

# Translations: `make messages` refreshes the committed catalogs from the code; `catalogs`
# compiles them (GNU gettext) for the running service. Compiled .mo files are never committed.
messages: install
	$(BIN)/python manage.py messages_update

catalogs: install
	./infra/system-packages.sh gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v0

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "  Portal:   http://$(HOST):$(PORT)/"
	@echo "  Admin:    http://$(HOST):$(PORT)/admin/"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "  Websocket: ws://$(HOST):$(PORT)/ws/"
	@echo "  Game simulator: feeding events for starfall-arena (log: $(VAR_DIR)/simulate_game.log)"
	@echo ""
	$(BIN)/python manage.py simulate_game --title starfall-arena --players 8 --rate 1 \
		>$(VAR_DIR)/simulate_game.log 2>&1 & SIMULATOR=$$!; \
	echo $$SIMULATOR >$(VAR_DIR)/simulate_game.pid; \
	trap 'kill $$SIMULATOR 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m community.server --host $(HOST) --port $(PORT)

system-packages:
	./infra/system-packages.sh

# What the benches need beyond the tests' packages (wrk for bench/rest_reads.py).
bench-tools: install-dev
	./infra/system-packages.sh wrk

# The Azure Storage emulator for the UGC tests (npm, pinned, into $(VENV)/azurite).
azurite: $(BIN)/python
	./infra/azurite.sh $(VENV)

services:
	./infra/services.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_ENV=test $(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# axe-core (the accessibility engine the portal's browser tests inject) from the npm registry,
# pinned, into var/ (never committed): tests/portal/test_accessibility.py reads it there.
AXE_VERSION := 4.14.1
$(VAR_DIR)/axe/node_modules/axe-core/axe.min.js:
	mkdir -p $(VAR_DIR)/axe
	npm install --no-save --no-package-lock --no-audit --no-fund --prefix $(VAR_DIR)/axe axe-core@$(AXE_VERSION)
axe: $(VAR_DIR)/axe/node_modules/axe-core/axe.min.js

test: install-dev system-packages infra-tools azurite catalogs lint axe
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache .mypy_cache
