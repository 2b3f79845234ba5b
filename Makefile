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
# portable AVX2 build passes. Compiling it costs 15-25 minutes on 2 cores, so it
# happens once per machine: the portable wheel goes into a directory of
# mixscope's own ($(LLM_WHEELS)), written only by this portable build, and every
# later venv or clone installs from it. --only-binary makes the install use that
# wheel or fail; it never compiles, and a native wheel from pip's own cache (a
# plain `pip install llama-cpp-python` elsewhere) is never picked up.
LLM_WHEELS        ?= $(HOME)/.cache/mixscope/wheels
LLAMA_CPP_VERSION ?= 0.3.36
# One stamp per llama-cpp-python version and Python ABI (a cp312 venv needs its own wheel).
PY_TAG            := $(shell $(PYTHON) -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
LLAMA_CPP_WHEEL   := $(LLM_WHEELS)/.portable-$(LLAMA_CPP_VERSION)-$(PY_TAG)

$(LLAMA_CPP_WHEEL): | $(BIN)/python
	mkdir -p $(LLM_WHEELS)
	CMAKE_ARGS="-DGGML_NATIVE=OFF $$CMAKE_ARGS" $(BIN)/pip wheel -q --no-cache-dir --no-deps \
		-w $(LLM_WHEELS) 'llama-cpp-python==$(LLAMA_CPP_VERSION)'
	touch $@

$(VENV)/.installed-llm: pyproject.toml $(LLAMA_CPP_WHEEL) | $(STAMP)
	$(BIN)/pip install -q --find-links $(LLM_WHEELS) --only-binary llama-cpp-python \
		-e '.[test,llm]' 'llama-cpp-python==$(LLAMA_CPP_VERSION)'
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

MERIDIAN_VENV := .venv-meridian

$(MERIDIAN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MERIDIAN_VENV)
	$(MERIDIAN_VENV)/bin/pip install -q -e '.[test,meridian]'
	touch $@

test-all: $(STAMP) $(VENV)/.installed-llm $(MERIDIAN_VENV)/.installed
	$(BIN)/python -m pytest -q -m ''
	$(MERIDIAN_VENV)/bin/python -m pytest -q -m slow tests/meridian

bench: $(STAMP)
	$(BIN)/python bench/fit.py --skip-geo
	$(BIN)/python bench/surface.py
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/ridge.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/recovery.py

clean:
	rm -rf $(VENV) $(MERIDIAN_VENV) demo .pytest_cache
