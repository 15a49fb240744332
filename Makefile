# The two commands of the README: `make book` and `make test`.
# Both create the virtual environment on first use (Python >= 3.10, pip; no conda, no GPU needed).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Chapter 11's pre-trained weights: the musicnn wheel, WITHOUT its declared dependencies (TensorFlow 1
# and numpy<1.17 cannot live beside the book's stack; only its checkpoint files are used).
MUSICNN := $(VENV)/.musicnn-0.1.0

# The full reproduction on real GTZAN: `make book-full DATA_DIR=/path/to/gtzan` (MAX_EPOCHS=2 for a
# dress rehearsal). It builds into its own folder, beside the fast build.
FULL_BUILD ?= _build/gtzan
DATA_DIR   ?=
MAX_EPOCHS ?=

.PHONY: book book-full test setup notebooks-clean clean

setup: $(STAMP) $(MUSICNN)

$(STAMP): pyproject.toml
	@echo "== set-up: virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[cpu,book,dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(PY) -m bookbuild.warmup
	@touch $(STAMP)

$(MUSICNN): $(STAMP)
	$(PY) -m pip install --quiet --no-deps musicnn==0.1.0
	@touch $(MUSICNN)

book: $(STAMP) $(MUSICNN)
	$(PY) -m bookbuild build

book-full: $(STAMP) $(MUSICNN)
	$(PY) -m bookbuild build --params notebooks/full_params.yaml --build-dir $(FULL_BUILD) \
		$(if $(DATA_DIR),-p DATA_DIR=$(DATA_DIR)) $(if $(MAX_EPOCHS),--max-epochs $(MAX_EPOCHS))

test: $(STAMP) $(MUSICNN)
	$(PY) -m pytest

notebooks-clean: $(STAMP)
	$(PY) -m bookbuild sync

clean:
	rm -rf _build
