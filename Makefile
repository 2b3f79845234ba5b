# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-all lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(VENV)/.installed-llm: pyproject.toml | $(STAMP)
	$(BIN)/pip install -q -e '.[test,llm]'
	touch $@

demo: $(STAMP)
	$(BIN)/mixscope init --example -o demo/mixscope.toml --force
	$(BIN)/mixscope validate demo/mixscope.toml
	$(BIN)/mixscope fit demo/mixscope.toml --out demo/run --overwrite
	$(BIN)/mixscope surface demo/run
	$(BIN)/mixscope plan demo/run --max-change 30%

test: $(STAMP) $(VENV)/.installed-llm
	$(BIN)/ruff check mixscope tests bench scripts
	$(BIN)/python -m pytest -q

test-all: $(STAMP) $(VENV)/.installed-llm
	$(BIN)/python -m pytest -q -m ''

bench: $(STAMP)
	$(BIN)/python bench/fit.py --skip-geo
	$(BIN)/python bench/surface.py
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/ridge.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/recovery.py

clean:
	rm -rf $(VENV) demo .pytest_cache
