# The book's single entry point. The README's two commands:
#   make book   set up the environment and build the HTML book into _build/html
#   make test   run the whole test suite (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbval and notebook execution: generous per-cell limit; every notebook runs its torch code on one
# thread, so nbval runs JOBS notebooks at a time (pytest-xdist, --dist loadscope keeps each
# notebook's cells in order on one worker). Default: one per CPU core.
NB_TIMEOUT ?= 1800
# numpy's and scipy's BLAS on one thread per process: the JOBS processes already share the cores,
# and a BLAS that starts a thread per core then spins against the other jobs (an SVD of a
# 345 x 1000 matrix: 4.8 s with 2 threads beside another job, 0.05 s with one). Override with
# OPENBLAS_NUM_THREADS=n make ...
export OPENBLAS_NUM_THREADS ?= 1
# glibc's malloc: keep freed memory for reuse instead of handing it back to the kernel. By
# default a block over 128 KiB (a 400 x 784 float64 tensor is 2.5 MB; P1's per-signal maps
# 64 MB) is mapped fresh and unmapped when freed, so every torch or numpy temporary of that size
# page-faults its memory in anew, and on these VMs the faults cost more than the arithmetic
# (P2's batched GD on the trained nets alone 3.5 -> 2.5 ms per step; a P1 sweep point 2.8 M ->
# 0.2 M page faults, 5-8 % faster; whole notebooks 1-5 %, as glibc's own adaptive threshold
# already spares some of them). The same arithmetic, the same results: blocks up to 256 MiB come
# from the heap, which keeps up to 512 MiB free before trimming (peak memory +20-40 %).
export MALLOC_MMAP_THRESHOLD_ ?= 268435456
export MALLOC_TRIM_THRESHOLD_ ?= 536870912
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Longest first, so that the workers finish together (measured times: README, "Test time");
# every other notebook follows in name order.
NB_LONGEST := book/p2_trained.ipynb book/p2_noisy_lp.ipynb book/x_bench.ipynb \
  book/p3_trained.ipynb book/p1_random_sweep.ipynb book/p2_latent_size.ipynb
NOTEBOOKS := $(filter $(wildcard book/*.ipynb),$(NB_LONGEST)) \
  $(filter-out $(NB_LONGEST),$(sort $(wildcard book/*.ipynb)))
# The quick check's notebooks: those whose source differs from the last commit (or from
# CHECK_BASE), else the cheapest ones.
CHECK_BASE ?= HEAD
NB_CHEAP := book/p1_invertibility.ipynb book/p2_single_layer.ipynb
NB_CHANGED = $(sort $(filter book/%.ipynb,$(patsubst %.py,%.ipynb,$(shell git diff --name-only \
  $(CHECK_BASE) -- 'book/*.py' 'book/*.ipynb'; git ls-files --others --exclude-standard 'book/*.py'))))
NBVAL = $(BIN)/python -m pytest -q -p no:randomly --nbval --nbval-current-env \
  --nbval-cell-timeout=$(NB_TIMEOUT)

.PHONY: book test test-notebooks test-pages check install lint unit nbval build browser notebooks notebook scorecard clean

# The environment. uv (an installer from PyPI that fetches and unpacks in parallel) installs it in
# about 30 s, pip in about 55 s, to the same versions; pip does it where uv cannot be had. uv does
# not read pip's configuration, so pip's find-links (where a machine keeps wheels on disk, such as
# the CPU build of torch) are passed on, and it compiles the bytecode only when asked: without it,
# and with PYTHONDONTWRITEBYTECODE set as on these machines, every process (each notebook's kernel,
# each test worker) compiled torch's modules again, 3 s more per start.
FIND_LINKS ?= $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
UV_PIP = $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python $(addprefix --find-links ,$(FIND_LINKS))
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	if $(BIN)/python -m pip install -q uv; then \
	  $(UV_PIP) -r requirements.txt && $(UV_PIP) --no-deps -e .; \
	else \
	  $(BIN)/python -m pip install -q -r requirements.txt && \
	  $(BIN)/python -m pip install -q --no-deps -e .; \
	fi
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
	$(BIN)/python -m pytest -q -n $(JOBS) tests --ignore=tests/test_browser.py

nbval: $(STAMP)
	mkdir -p _build
	$(NBVAL) -n $(JOBS) --dist loadscope --junitxml=_build/nbval.xml $(NOTEBOOKS)
	$(BIN)/python tests/nbval_times.py _build/nbval.xml

browser: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_browser.py

# Everything CI checks: lint; then the unit tests (incl. jupytext sync and scorecard consistency)
# followed by nbval over every notebook, and *beside them* the strict book build followed by the
# browser check of its pages. The build renders the committed outputs (nothing is executed) and
# the browser check mostly waits on Chromium, so the two use the CPU that the tests leave idle
# (make -j2; each part's output is printed when that part ends).
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=recurse test-notebooks test-pages
	@echo "make test: all checks passed"

test-notebooks:
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory nbval

test-pages:
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory browser

# The habit before a commit (about 2 minutes): lint, unit tests (they include the jupytext sync and
# scorecard checks), and nbval of the notebooks the change touches, or of the cheapest ones.
check: lint unit
	$(NBVAL) -n $(JOBS) --dist loadscope $(or $(NB_CHANGED),$(NB_CHEAP))
	@echo "make check: passed (make test runs the whole suite)"

# (Re-)execute notebooks from their jupytext sources: make notebooks  or  make notebook NB=book/x.py
notebook: $(STAMP)
	$(BIN)/jupytext --to ipynb --update $(NB)
	@start=$$(date +%s); $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=$(NB_TIMEOUT) --ExecutePreprocessor.record_timing=False \
	  $(NB:.py=.ipynb) && echo "executed $(NB:.py=.ipynb) in $$(( $$(date +%s) - start )) s"
	$(BIN)/python -c "import nbformat as n, sys; p = sys.argv[1]; nb = n.read(p, 4); \
	  [c.metadata.pop('execution', None) for c in nb.cells]; n.write(nb, p)" $(NB:.py=.ipynb)
	$(if $(filter no,$(SCORECARD)),,$(BIN)/python -m lib.book.scorecard)

notebooks: $(STAMP)
	printf '%s\n' $(NOTEBOOKS:.ipynb=.py) | xargs -P $(JOBS) -I{} $(MAKE) --no-print-directory \
	  notebook NB={} SCORECARD=no
	$(BIN)/python -m lib.book.scorecard

scorecard: $(STAMP)
	$(BIN)/python -m lib.book.scorecard

clean:
	rm -rf _build
