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

# Refresh the vendored assets from npm (committed under maps/static/vendor with their licences): Leaflet for the
# map pages, Swagger UI and ReDoc for /docs and /redoc, Apache ECharts for the 大屏 (/maps/screen).
LEAFLET_VERSION := 1.9.4
SWAGGER_UI_VERSION := 5.35.0
REDOC_VERSION := 2.5.2
IDB_VERSION := 8.0.4
VECTORGRID_VERSION := 1.3.0
# The libraries Leaflet.VectorGrid's bundle includes, fetched only for their licence texts.
VECTORGRID_BUNDLED := pbf@3.0.5 ieee754@1.1.8 @mapbox/vector-tile@1.3.0 @mapbox/point-geometry@0.1.0 geojson-vt@2.4.0 \
  topojson-client@2.1.0
ECHARTS_VERSION := 5.6.0
ZRENDER_VERSION := 5.6.1
VENDOR_TMP := /tmp/ccgrid-vendor
vendor:
	rm -rf $(VENDOR_TMP) && mkdir -p $(VENDOR_TMP)/leaflet $(VENDOR_TMP)/swagger-ui $(VENDOR_TMP)/redoc $(VENDOR_TMP)/idb \
	  $(VENDOR_TMP)/echarts $(VENDOR_TMP)/zrender
	cd $(VENDOR_TMP) && npm pack -q leaflet@$(LEAFLET_VERSION) swagger-ui-dist@$(SWAGGER_UI_VERSION) redoc@$(REDOC_VERSION) \
	  idb@$(IDB_VERSION) echarts@$(ECHARTS_VERSION) zrender@$(ZRENDER_VERSION)
	tar xzf $(VENDOR_TMP)/leaflet-$(LEAFLET_VERSION).tgz -C $(VENDOR_TMP)/leaflet
	tar xzf $(VENDOR_TMP)/swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz -C $(VENDOR_TMP)/swagger-ui
	tar xzf $(VENDOR_TMP)/redoc-$(REDOC_VERSION).tgz -C $(VENDOR_TMP)/redoc
	tar xzf $(VENDOR_TMP)/idb-$(IDB_VERSION).tgz -C $(VENDOR_TMP)/idb
	tar xzf $(VENDOR_TMP)/echarts-$(ECHARTS_VERSION).tgz -C $(VENDOR_TMP)/echarts
	tar xzf $(VENDOR_TMP)/zrender-$(ZRENDER_VERSION).tgz -C $(VENDOR_TMP)/zrender
	rm -rf maps/static/vendor/leaflet maps/static/vendor/swagger-ui maps/static/vendor/redoc maps/static/vendor/idb \
	  maps/static/vendor/echarts
	mkdir -p maps/static/vendor/leaflet maps/static/vendor/swagger-ui maps/static/vendor/redoc maps/static/vendor/idb \
	  maps/static/vendor/echarts
	cd $(VENDOR_TMP)/leaflet/package && cp -r dist/leaflet.js dist/leaflet.css dist/images LICENSE \
	  $(CURDIR)/maps/static/vendor/leaflet/
	cd $(VENDOR_TMP)/swagger-ui/package && cp swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css \
	  favicon-32x32.png LICENSE NOTICE $(CURDIR)/maps/static/vendor/swagger-ui/
	cd $(VENDOR_TMP)/redoc/package && cp bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE \
	  $(CURDIR)/maps/static/vendor/redoc/
	# The field app's outbox stores its queue in IndexedDB through idb (ISC).
	cd $(VENDOR_TMP)/idb/package && cp build/umd.js $(CURDIR)/maps/static/vendor/idb/idb.umd.js && cp LICENSE \
	  $(CURDIR)/maps/static/vendor/idb/
	# Leaflet.VectorGrid draws the owners map from our vector tiles. Its licence (Beerware) is in its README; the
	# bundle includes pbf, ieee754, vector-tile, point-geometry, geojson-vt and topojson, whose licences go beside it.
	rm -rf maps/static/vendor/leaflet.vectorgrid && mkdir -p maps/static/vendor/leaflet.vectorgrid $(VENDOR_TMP)/vg
	cd $(VENDOR_TMP)/vg && npm pack -q leaflet.vectorgrid@$(VECTORGRID_VERSION) $(VECTORGRID_BUNDLED) >/dev/null && \
	  for t in *.tgz; do mkdir -p "$${t%.tgz}" && tar xzf "$$t" -C "$${t%.tgz}"; done
	cp $(VENDOR_TMP)/vg/leaflet.vectorgrid-$(VECTORGRID_VERSION)/package/dist/Leaflet.VectorGrid.bundled.min.js \
	  maps/static/vendor/leaflet.vectorgrid/
	{ echo "Leaflet.VectorGrid $(VECTORGRID_VERSION) (npm leaflet.vectorgrid), from its README:"; \
	  sed -n '/THE BEER-WARE LICENSE/,/buy me a beer/p' $(VENDOR_TMP)/vg/leaflet.vectorgrid-$(VECTORGRID_VERSION)/package/README.md; \
	  for d in $(VENDOR_TMP)/vg/*/package; do n=$$(sed -n 's/^ *"name": "\(.*\)",/\1/p' $$d/package.json | head -1); \
	    [ "$$n" = leaflet.vectorgrid ] && continue; echo; echo "=== bundled: $$n ==="; cat $$d/LICENSE*; done; \
	} > maps/static/vendor/leaflet.vectorgrid/LICENSE
	# The 大屏's charts: ECharts' one-file build (zrender, its renderer, is bundled in it: its BSD licence goes along).
	cd $(VENDOR_TMP)/echarts/package && cp dist/echarts.min.js LICENSE NOTICE licenses/LICENSE-d3 \
	  $(CURDIR)/maps/static/vendor/echarts/
	cp $(VENDOR_TMP)/zrender/package/LICENSE maps/static/vendor/echarts/LICENSE-zrender
	# ReDoc's "by Redocly" badge loads its logo from Redocly's host at run time: an empty image instead (the badge hides itself).
	sed -i 's#src:"https://cdn.redoc.ly/redoc/logo-mini.svg"#src:"data:,"#' maps/static/vendor/redoc/redoc.standalone.js
	! grep -q cdn.redoc.ly maps/static/vendor/redoc/redoc.standalone.js

# PostgreSQL + PostGIS + pgRouting (the walking network, layers/network) from Debian packages, only when the
# embedded cluster needs them and they are missing.
postgis:
	@if [ -z "$$CCGRID_DATABASE_URL" ] && { ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	    ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || \
	    ! ls /usr/share/postgresql/*/extension/pgrouting.control >/dev/null 2>&1; }; then \
	  echo "installing PostgreSQL $(PG_VERSION) + PostGIS + pgRouting from Debian packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    postgresql-$(PG_VERSION) postgresql-$(PG_VERSION)-postgis-3 postgresql-$(PG_VERSION)-pgrouting >/dev/null; \
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
	$(BIN)/python -m bench.network $(BENCH_ARGS)
	$(BIN)/python -m bench.intake $(BENCH_ARGS)
	$(BIN)/python -m bench.load --clients 50 --seconds 60 $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:
	-$(BIN)/ccgrid db down
	rm -rf $(VENV) .ccgrid
