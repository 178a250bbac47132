# The two commands that set everything up: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_VERSION ?= 15
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup postgis browser vendor demo test bench lint clean db-up db-down

setup: postgis $(STAMP)

# The map pages are tested in a real browser: Debian's chromium (driven by Playwright, never `playwright install`)
# and CJK fonts so the zh-CN pages render.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; then \
	  echo "installing chromium + fonts-noto-cjk from Debian packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Refresh the vendored map assets from npm (committed under maps/static/vendor with their licences).
LEAFLET_VERSION := 1.9.4
vendor:
	rm -rf /tmp/ccgrid-vendor && mkdir -p /tmp/ccgrid-vendor
	cd /tmp/ccgrid-vendor && npm pack -q leaflet@$(LEAFLET_VERSION) && tar xzf leaflet-$(LEAFLET_VERSION).tgz
	rm -rf maps/static/vendor/leaflet && mkdir -p maps/static/vendor/leaflet
	cp -r /tmp/ccgrid-vendor/package/dist/leaflet.js /tmp/ccgrid-vendor/package/dist/leaflet.css \
	  /tmp/ccgrid-vendor/package/dist/images /tmp/ccgrid-vendor/package/LICENSE maps/static/vendor/leaflet/

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

test: setup browser
	$(BIN)/pytest

bench: setup
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench.heatmap $(BENCH_ARGS)
	$(BIN)/python -m bench.tiles $(BENCH_ARGS)
	$(BIN)/python -m bench.import_routing $(BENCH_ARGS)
	$(BIN)/python -m bench.coverage $(BENCH_ARGS)
	$(BIN)/python -m bench.intake $(BENCH_ARGS)
	$(BIN)/python -m bench.load --clients 50 --seconds 60 $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:
	-$(BIN)/ccgrid db down
	rm -rf $(VENV) .ccgrid
