# The README's two commands: `make demo` and `make test`. Both set everything up
# on a fresh machine and are fast on a second run (stamps keyed on the inputs).

PYTHON ?= python3
VENV   := .venv
VENV_LS := .venv-ls
LS_VERSION := 1.23.2
PY := $(VENV)/bin/python

# Nothing may ever reach a model hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

PYPROJECT_HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
STAMP    := $(VENV)/.stamp-$(PYPROJECT_HASH)
STAMP_LS := $(VENV_LS)/.stamp-$(LS_VERSION)
STAMP_CHROMIUM := $(VENV)/.stamp-chromium

.PHONY: demo test lint setup setup-ls setup-chromium bench clean

demo: $(STAMP)
	$(VENV)/bin/themeloop run --project examples/innovation-survey --out out/demo

test: $(STAMP) $(STAMP_LS) $(STAMP_CHROMIUM)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src/
	$(VENV)/bin/mypy

setup: $(STAMP)

setup-ls: $(STAMP_LS)

setup-chromium: $(STAMP_CHROMIUM)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(VENV)/bin/pip install --quiet torch==2.13.0
	@$(PY) -c "import sys, torch; sys.exit('torch has CUDA (%s): install the CPU build, torch==2.13.0' % torch.version.cuda) if torch.version.cuda else None"
	$(VENV)/bin/pip install --quiet -e ".[dev,dask]"
	@$(PY) -c "import sys, torch; sys.exit('torch has CUDA (%s) after installing the package' % torch.version.cuda) if torch.version.cuda else None"
	# Export the packaged model to ONNX once (into $$THEMELOOP_CACHE_DIR or ~/.cache/themeloop), so no run pays for it.
	$(PY) -m themeloop.embed.onnx >/dev/null
	@rm -f $(VENV)/.stamp-*[0-9a-f]
	@touch $@

# Label Studio lives in its own venv: its pins (numpy<2.3, openai<2, pytz, Django)
# must stay out of the analysis environment.
$(STAMP_LS):
	@test -x $(VENV_LS)/bin/python || $(PYTHON) -m venv $(VENV_LS)
	$(VENV_LS)/bin/pip install --quiet label-studio==$(LS_VERSION)
	@touch $@

# Debian's Chromium, for the report's headless-browser test.
$(STAMP_CHROMIUM): | $(STAMP)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@touch $@

bench: $(STAMP)
	$(PY) bench/cli_startup.py

clean:
	rm -rf out .pytest_cache
