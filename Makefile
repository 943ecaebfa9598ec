# labctl's two commands, `make run` and `make test`, set up everything they need: a virtual
# environment in .venv, the CPU build of PyTorch, then labctl with its test extras. The
# environment is made again only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-from-pyproject
TORCH := torch==2.13.0
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test docs mutation clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-9s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo '  extra options reach labctl: make run ARGS="--limit 2000 --epochs 1"'

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "labctl needs Python 3.11 or newer as '$(PYTHON)': install it, or name it with" \
		     "make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# torch first, pinned to the CPU build; the project's range accepts it and adds nothing
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(INSTALLED) ## Train MNIST then Fashion-MNIST on the simulated chip, with figures
	$(BIN)/labctl train --backend mock --plot $(ARGS)

test: $(INSTALLED) ## Lint, then run the test suite (no tests collected is a failure)
	$(BIN)/ruff check .
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "make test: pytest collected no tests; that is a defect of this repository" >&2; \
		exit 1; \
	fi; \
	exit $$rc

docs: $(INSTALLED) ## Build the user guide and API reference into build/site (warnings fail)
	$(BIN)/mkdocs build --strict

mutation: $(INSTALLED) ## Mutation check of the physics and protocols (slow; not in CI)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

clean: ## Remove the virtual environment and mutation results
	rm -rf $(VENV) mutants build
