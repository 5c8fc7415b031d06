# `make` sets up .venv and builds the sample book into dist/; `make test` also installs
# the validators and the browser the suite uses, then runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: all build test test-deps system-deps clean

all: build

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

system-deps:
	bash scripts/system-deps.sh

build: $(STAMP)
	$(PY) build.py build

# everything `check` and the test suite need, without running the suite
test-deps: system-deps $(STAMP) $(NODE_STAMP)

test: test-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) dist node_modules
