# Every target creates .venv and installs from pyproject.toml first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test bench index install install-dev browser lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# torch is pinned to the CPU build; left unpinned, pip pulls a multi-GB CUDA build.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[st,dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

index: install
	$(BIN)/painbot build

serve: install
	$(BIN)/painbot serve

# Real-browser tests need Debian's Chromium; install it when we can (root + apt).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium is missing and cannot be installed here (needs root and apt-get)"; fi; \
	fi

lint: install-dev
	$(BIN)/ruff check .

test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/painbot build
	$(BIN)/pytest

bench: install-dev
	$(BIN)/painbot build
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) index test-output
