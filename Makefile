# The two commands that set everything up: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_VERSION ?= 15
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup postgis demo test lint clean db-up db-down

setup: postgis $(STAMP)

# PostgreSQL + PostGIS from Debian packages, only when the embedded cluster needs them and they are missing.
postgis:
	@if [ -z "$$CCGRID_DATABASE_URL" ] && { ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	    ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }; then \
	  echo "installing PostgreSQL $(PG_VERSION) + PostGIS from Debian packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    postgresql-$(PG_VERSION) postgresql-$(PG_VERSION)-postgis-3 >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

db-up: setup
	$(BIN)/ccgrid db up

db-down:
	$(BIN)/ccgrid db down

demo: db-up
	$(BIN)/ccgrid demo load --scale $${CCGRID_DEMO_SCALE:-small}
	@$(BIN)/ccgrid demo token
	$(BIN)/ccgrid serve

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

clean:
	-$(BIN)/ccgrid db down
	rm -rf $(VENV) .ccgrid
