# `make test` on a fresh machine: creates .venv, installs, runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed

.PHONY: test plan check lint clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/hadolint app/Dockerfile
	$(VENV)/bin/actionlint -no-color -shellcheck=$(VENV)/bin/shellcheck .github/workflows/*.yml

test: $(STAMP) lint
	$(PY) -m pytest -q

plan: $(STAMP)
	$(PY) -m platformctl plan --stack $(STACK)

check: $(STAMP)
	$(PY) -m platformctl check --stack $(STACK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
