# Fabula: `make demo` and `make test` are the whole quick start.
VENV ?= .venv
PY := $(VENV)/bin/python
FABULA := $(VENV)/bin/fabula
STAMP := $(VENV)/.fabula-setup

.PHONY: setup demo test test-all bench corpora clean

setup: $(STAMP)

# Re-run the installer only when what it installs has changed.
$(STAMP): pyproject.toml scripts/setup.sh scripts/setup-postgres.sh
	bash scripts/setup.sh
	@touch $(STAMP)

demo: setup
	bash scripts/demo.sh

test: setup
	$(PY) -m pytest

test-all: setup
	$(PY) -m pytest -m ""

bench: setup
	$(FABULA) bench all

corpora: setup
	bash scripts/install-corpora.sh
	$(FABULA) data prepare

clean:
	rm -rf $(VENV) build *.egg-info
