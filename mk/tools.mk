# Tools `make test` needs that a machine may lack, taken from a package registry without root,
# into build/, and used only where the machine has none of its own:
#   cmake, pkg-config  from PyPI (cmake, pkgconf) into a virtualenv, $(C_TOOLS_VENV), whose
#                      bin/ comes last on PATH (the machine's own tools come first);
#   cargo-fuzz         from crates.io, `cargo install` under $(TOOLS_ROOT) (mk/fuzz.mk).
# A C and C++ compiler, binutils (nm, readelf), valgrind, Python's venv and Node.js with npm have
# no such source: they come with the machine (.ci/run installs them with Debian's packages).
TOOLS_ROOT := $(CURDIR)/build/tools
C_TOOLS_VENV := $(CURDIR)/build/c-tools
C_TOOLS_PINS := cmake==4.4.5 pkgconf==3.0.7.post0
export PATH := $(TOOLS_ROOT)/bin:$(PATH):$(C_TOOLS_VENV)/bin

.PHONY: c-tools

c-tools:
	@if ! command -v cmake > /dev/null || ! command -v pkg-config > /dev/null; then \
	  test -e $(C_TOOLS_VENV)/.installed || { \
	    echo "== cmake and pkg-config from PyPI into $(C_TOOLS_VENV)"; \
	    rm -rf $(C_TOOLS_VENV) && $(PYTHON) -m venv $(C_TOOLS_VENV) && \
	    $(C_TOOLS_VENV)/bin/pip install -q --disable-pip-version-check $(C_TOOLS_PINS) && \
	    touch $(C_TOOLS_VENV)/.installed; }; \
	fi
