# Two commands on a fresh machine: `make demo` (run the platform) and `make test` (pass the tests).
# Every step leaves a stamp, so a second run only redoes what changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_LINK_MODE := copy
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= small
VAR := $(or $(IOC_VAR_DIR),var)
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PO_FILES := $(shell find ioc -name django.po -path '*/locale/*')
FRONTEND_SRC := $(shell find frontend/src frontend/styles -type f) frontend/build.mjs

.PHONY: setup demo serve test lint fmt typecheck pytest pytest-sqlite pytest-postgres docs messages clean browser gettext help bench-tools

help:
	@echo "make demo   set up, migrate, load the demo province and serve on http://$(HOST):$(PORT)"
	@echo "make test   set up, then ruff, mypy, import contracts and pytest (SQLite and PostgreSQL)"
	@echo "make docs   regenerate docs/operations/configuration.md and .env.example"
	@echo "make messages  refresh ioc/locale/vi (then translate the new entries)"

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --locked --inexact --all-groups --quiet
	@touch $@

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

ioc/static/dist/app.js: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run --silent build

$(VAR)/.messages: $(VENV)/.synced $(PO_FILES)
	@mkdir -p $(VAR)
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory gettext
	$(BIN)/ioc compilemessages --ignore=.venv --ignore=node_modules --ignore=var --ignore=frontend -v 0
	@touch $@

$(VAR)/static/staticfiles.json: ioc/static/dist/app.js $(shell find ioc -path '*/static/*' -type f -not -path '*/dist/*')
	$(BIN)/ioc collectstatic --noinput -v 0

setup: $(VENV)/.synced ioc/static/dist/app.js $(VAR)/.messages $(VAR)/static/staticfiles.json

demo: setup
	$(BIN)/ioc migrate -v 0
	$(BIN)/ioc demo --scale $(SCALE) --serve --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/ioc serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.synced
	$(BIN)/ruff check ioc
	$(BIN)/ruff format --check ioc
	$(BIN)/lint-imports --no-cache
	$(BIN)/ioc makemigrations --check --dry-run -v 0

typecheck: $(VENV)/.synced
	$(BIN)/mypy ioc/core ioc/accounts ioc/jobs ioc/operations ioc/warehouse ioc/integrations ioc/dashboards ioc/feedback ioc/maps ioc/cameras ioc/portal ioc/web ioc/demo ioc/config.py

pytest-sqlite: setup
	$(BIN)/pytest -n 2 -p no:cacheprovider

pytest-postgres: setup
	@if [ "$$CI" = "true" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		IOC_DATABASE_URL=$(TEST_POSTGRES_URL) TEST_IOC_WAREHOUSE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n 2 -p no:cacheprovider -m "not browser"; \
	else echo "PostgreSQL is not running at 127.0.0.1:5432: the PostgreSQL pass is skipped (CI never skips it)."; fi

pytest: pytest-sqlite pytest-postgres

test: setup lint typecheck pytest

fmt: $(VENV)/.synced
	$(BIN)/ruff format ioc
	$(BIN)/ruff check --fix ioc

docs: $(VENV)/.synced
	$(BIN)/ioc config docs

# Refresh the Vietnamese catalogue after adding or changing strings, then translate the new
# entries (a test fails while any is empty or fuzzy).
messages: $(VENV)/.synced
	cd ioc && DJANGO_SETTINGS_MODULE=ioc.settings ../$(BIN)/django-admin makemessages -l vi \
		--ignore='tests/*' --ignore='*/tests/*' --no-obsolete

# Debian packages the set-up needs: gettext (msgfmt, to compile the translations) always,
# chromium for the browser tests, gdal-bin (ogrinfo) for the OGC API tests, ffmpeg and the GStreamer
# RTSP server (the synthetic cameras of the demo and the camera tests). Installed only when missing.
gettext:
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; } \
		|| { echo "Cần cài gettext / please install gettext (msgfmt): apt-get install gettext"; exit 1; }

browser: gettext
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@command -v ogrinfo >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin)
	@command -v ffmpeg >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg)
	@{ /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" 2>/dev/null \
		&& gst-inspect-1.0 x264enc >/dev/null 2>&1; } || (apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-gi gir1.2-gst-rtsp-server-1.0 \
		gstreamer1.0-rtsp gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly \
		gstreamer1.0-tools)

# wrk, the load tool of benchmarks/feedback.py (not needed by the tests).
bench-tools:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

clean:
	rm -rf $(VENV) frontend/node_modules ioc/static/dist var/static $(VAR)/.messages
