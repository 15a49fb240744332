# The two commands of the README: `make book` and `make test`.
# Both create the virtual environment on first use (Python >= 3.10, pip; no conda, no GPU needed).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test setup notebooks-clean clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "== set-up: virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[cpu,book,dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

book: $(STAMP)
	$(PY) -m mgr_utils.book build

test: $(STAMP)
	$(PY) -m pytest

notebooks-clean: $(STAMP)
	$(PY) -m mgr_utils.book sync

clean:
	rm -rf _build
