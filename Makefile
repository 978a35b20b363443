# `make test` on a fresh machine: creates .venv, installs, runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed
# Mermaid's own parser (node + jsdom) for the diagram test; skipped when npm is not installed.
MERMAID := tools/mermaid/node_modules/.package-lock.json

.PHONY: test plan check lint clean docs cost bench bench-ocr judge

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

# A second opinion on the plans: checkov (in its own venv: its pins clash with ours) on dev and
# prod converted to Terraform plan JSON; fails on findings not explained in tools/judge/explained.yaml.
JUDGE := .venv-judge
$(JUDGE)/.installed: tools/judge/requirements.txt
	test -x $(JUDGE)/bin/python || $(PYTHON) -m venv $(JUDGE)
	$(JUDGE)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/judge/requirements.txt
	touch $@

judge: $(STAMP) $(JUDGE)/.installed
	$(PY) -m tools.judge.run --checkov $(JUDGE)/bin/checkov

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
	rm -rf $(VENV) $(JUDGE) .pytest_cache .ruff_cache .hypothesis tools/mermaid/node_modules
