# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.installed-bench-stamp
REPO   ?= .

.PHONY: run demo test bench soak screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/clct $(REPO)

demo: $(STAMP)
	$(PY) -m clct_tui.testing.demo

# Two workers: most tests wait on the CLI, git or the scripted model, so two halve the time on two cores.
test: $(STAMP)
	$(PY) -m pytest -q -n 2

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py

soak: $(STAMP)
	$(PY) -m pytest -q -s -m slow tests/reliability

screenshots: $(STAMP)
	$(PY) screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache
