# `make test` on a fresh machine: creates .venv, installs, runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed

.PHONY: test plan lint clean docs cost

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP) lint
	$(PY) -m pytest -q

plan: $(STAMP)
	$(PY) -m platformctl plan --stack $(STACK)

# Diagrams (docs/diagrams/*.mmd|.drawio) and the README's generated blocks, from the offline plans.
docs: $(STAMP)
	$(PY) -m platformctl docs

cost: $(STAMP)
	$(PY) -m platformctl cost --stack $(STACK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
