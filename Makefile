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

# llama.cpp is built without -march=native: on a Sapphire Rapids CPU (AMX,
# AVX-512) the native build segfaulted in llama_decode on the test model; the
# portable AVX2 build passes. No pip cache, so a native wheel built earlier on
# this machine is not reused.
$(VENV)/.installed-llm: pyproject.toml | $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF $$CMAKE_ARGS" $(BIN)/pip install -q --no-cache-dir -e '.[test,llm]'
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
