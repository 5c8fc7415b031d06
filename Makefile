# `make` sets up .venv and builds the sample book into dist/; `make test` also installs
# the validators and the browser the suite uses, then runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: all build test test-fast lint test-deps system-deps clean lock fuzz

all: build

# exact versions and hashes from requirements.lock (pip-compile --extra test
# --generate-hashes from pyproject.toml: `make lock` remakes it), then the project itself
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra test --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

$(NODE_STAMP): package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

system-deps:
	bash scripts/system-deps.sh

build: $(STAMP)
	$(PY) build.py build

# everything `check` and the test suite need, without running the suite
test-deps: system-deps $(STAMP) $(NODE_STAMP)

# the whole suite, after the habits: what CI runs
test: test-deps lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

# the inner loop: no Java, no browser, no killed builds (tests marked slow are left out;
# one that runs Java unmarked fails), about two minutes
test-fast: $(STAMP)
	BOOKBUILD_TEST_FAST=1 $(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

# lint and format (ruff), the layering (import-linter contracts in pyproject.toml), types (mypy)
lint: $(STAMP)
	$(VENV)/bin/ruff check bookbuild tests bench scripts build.py
	$(VENV)/bin/ruff format --check bookbuild tests bench scripts build.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# each property of tests/test_properties.py for FUZZ_SECONDS (default 10 minutes each)
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	BOOKBUILD_FUZZ_SECONDS=$(FUZZ_SECONDS) BOOKBUILD_FUZZ_EXAMPLES=200 \
		$(PY) -m pytest -q -s -p no:cacheprovider tests/test_properties.py

clean:
	rm -rf $(VENV) dist node_modules
