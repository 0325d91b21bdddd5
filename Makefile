# The two commands of the README: `make site` builds public/, `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.warchive-installed

.PHONY: site test check serve lint system-deps

site: $(STAMP)
	$(VENV)/bin/warchive build

check: $(STAMP)
	$(VENV)/bin/warchive check

test: system-deps $(STAMP) node_modules/.package-lock.json
	$(PY) -m ruff check builder tests bench
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check builder tests bench
	$(PY) -m mypy

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent --ignore-scripts

# Chromium (browser tests) and Java (HTML checker) come from Debian when missing.
system-deps:
	@command -v chromium >/dev/null && command -v java >/dev/null || { \
	  echo "installing chromium and java from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium default-jre-headless >/dev/null; }
