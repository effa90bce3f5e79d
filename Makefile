# The book's single entry point. The README's two commands:
#   make book   set up the environment and build the HTML book into _build/html
#   make test   run the whole test suite (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbval and notebook execution: generous per-cell limit, the CPU default of torch threads
NB_TIMEOUT ?= 1800
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))

.PHONY: book test install lint unit nbval build browser notebooks notebook scorecard clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	# build matplotlib's font cache now, so that no notebook prints the one-off notice on stderr
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(BIN)/jupyter-book build --all -W -n --keep-going .

book: build
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check lib tests book benchmarks
	$(BIN)/ruff format --check lib tests benchmarks

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests --ignore=tests/test_browser.py

nbval: $(STAMP)
	$(BIN)/python -m pytest -q -p no:randomly --nbval --nbval-current-env \
	  --nbval-cell-timeout=$(NB_TIMEOUT) $(NOTEBOOKS)

browser: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_browser.py

# Everything CI checks, in order: lint, unit tests (incl. jupytext sync and scorecard
# consistency), nbval over every notebook, the strict book build, the browser check of the pages.
test: lint unit nbval build browser
	@echo "make test: all checks passed"

# (Re-)execute notebooks from their jupytext sources: make notebooks  or  make notebook NB=book/x.py
notebook: $(STAMP)
	$(BIN)/jupytext --to ipynb --update $(NB)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=$(NB_TIMEOUT) --ExecutePreprocessor.record_timing=False \
	  $(NB:.py=.ipynb)
	$(BIN)/python -c "import nbformat as n, sys; p = sys.argv[1]; nb = n.read(p, 4); \
	  [c.metadata.pop('execution', None) for c in nb.cells]; n.write(nb, p)" $(NB:.py=.ipynb)
	$(BIN)/python -m lib.scorecard

notebooks: $(STAMP)
	for f in $(NOTEBOOKS); do $(MAKE) notebook NB=$${f%.ipynb}.py || exit 1; done

scorecard: $(STAMP)
	$(BIN)/python -m lib.scorecard

clean:
	rm -rf _build
