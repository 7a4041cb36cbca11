# nianbao — the two commands of the README are `make demo` and `make test`.
# Everything a fresh machine needs is installed here; nothing is assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian packages the tests use: a real browser for the page tests (and for PDFs
# printed from HTML), a CJK font for the sandbox's PDF reports, LibreOffice to
# read .doc/.wps, Tesseract with Simplified Chinese for scanned reports, poppler
# for page images. Installed with --no-install-recommends (no desktop pulled in).
APT_PACKAGES := chromium fonts-wqy-microhei wget libreoffice-writer-nogui tesseract-ocr tesseract-ocr-chi-sim poppler-utils

.PHONY: setup system-deps demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,scale]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

demo: setup system-deps
	$(BIN)/nianbao demo

lint: setup
	$(BIN)/ruff check .

test: setup system-deps lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
