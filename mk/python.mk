# The Python module: a fresh virtualenv, a real `pip install ./bindings/python` (maturin builds
# the extension from source), then pytest against the local hub, mypy --strict and stubtest.
PY_VENV := $(CURDIR)/build/venv
PYTHON ?= python3

.PHONY: demo-python test-python python-venv

python-venv:
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install -q --upgrade pip
	$(PY_VENV)/bin/pip install -q pytest mypy
	$(PY_VENV)/bin/pip install ./bindings/python

demo-python: build-sim
	test -x $(PY_VENV)/bin/python && $(PY_VENV)/bin/python -c 'import captivate' 2>/dev/null || $(MAKE) python-venv
	$(WITH_SIM) -- $(PY_VENV)/bin/python examples/python/chat.py

test-python: build-sim python-venv
	cargo clippy -q -p captivate-python --all-targets -- -D warnings
	CAPTIVATE_SIM=$(SIM) $(PY_VENV)/bin/python -m pytest -v bindings/python/tests
	@echo "== the suite again on event loops without add_reader (as Windows' proactor loop)"
	CAPTIVATE_TEST_LOOP=no-reader CAPTIVATE_SIM=$(SIM) $(PY_VENV)/bin/python -m pytest -q bindings/python/tests
	$(PY_VENV)/bin/python -m mypy --strict examples/python/chat.py bindings/python/tests
	$(PY_VENV)/bin/python -m mypy --strict -p captivate
	$(PY_VENV)/bin/python -m mypy.stubtest captivate._native
	@echo "== the Python example against the local hub"
	$(WITH_SIM) -- $(PY_VENV)/bin/python examples/python/chat.py > /dev/null

# The distributions: one abi3 wheel (CPython 3.9 and later) and an sdist. Linux wheels are
# linked by zig against glibc 2.17 whatever the machine's glibc, so they honestly carry the
# manylinux2014 tag; maturin's auditwheel check refuses the wheel otherwise. (A plain
# `pip install ./bindings/python` builds with `--compatibility off`, maturin's default for
# local builds, which are never uploaded: its `linux_x86_64` tag is the true one there.)
PY_DIST = $(DIST_DIR)/python
PY_DIST_CHECK := $(CURDIR)/build/python-dist-check
PY_TOOLS := $(CURDIR)/build/python-dist-tools
PY_TOOLS_PINS := maturin==1.16.0 ziglang==0.17.1 auditwheel==6.8.2
# Run in bindings/python; the tools' python3 on PATH is where maturin finds zig.
MATURIN := PATH=$(PY_TOOLS)/bin:$$PATH $(PY_TOOLS)/bin/maturin
MATURIN_WHEEL := build --compatibility manylinux2014 --zig --auditwheel check

.PHONY: dist-python test-dist-python test-sdist-python python-dist-tools
DIST_TARGETS += dist-python

python-dist-tools: $(PY_TOOLS)/.installed
$(PY_TOOLS)/.installed: mk/python.mk
	rm -rf $(PY_TOOLS)
	$(PYTHON) -m venv $(PY_TOOLS)
	$(PY_TOOLS)/bin/pip install -q --disable-pip-version-check $(PY_TOOLS_PINS)
	touch $@

# auditwheel's own reading of the wheel in $(1): the glibc symbols it needs allow manylinux_2_17.
define check-manylinux
	shown=$$($(PY_TOOLS)/bin/auditwheel show $(1)/*.whl) && printf '%s\n' "$$shown" \
	  && printf '%s' "$$shown" | tr -s ' \n' '  ' | grep -q 'consistent with the following platform tag: "manylinux_2_17_'
endef

# The release wheel and the sdist, in dist/python/, checked (tags, licenses, metadata).
dist-python: python-dist-tools
	rm -rf $(PY_DIST)
	cd bindings/python && $(MATURIN) $(MATURIN_WHEEL) --release -o $(PY_DIST)
	cd bindings/python && $(MATURIN) sdist -o $(PY_DIST)
	$(call check-manylinux,$(PY_DIST))
	$(PY_TOOLS)/bin/python scripts/check-python-dist.py $(PY_DIST)

# The same wheel in the dev profile (half the build time of a release one), installed and
# used with no Rust on PATH; the sdist and the source tree refuse to build without Rust.
test-dist-python: build-sim python-dist-tools
	rm -rf $(PY_DIST_CHECK)
	cd bindings/python && $(MATURIN) $(MATURIN_WHEEL) -o $(PY_DIST_CHECK)
	cd bindings/python && $(MATURIN) sdist -o $(PY_DIST_CHECK)
	$(call check-manylinux,$(PY_DIST_CHECK))
	$(PY_TOOLS)/bin/python scripts/check-python-dist.py $(PY_DIST_CHECK)
	CAPTIVATE_SIM=$(SIM) scripts/check-python-install.sh $(PY_DIST_CHECK)

# Not part of `make test` (a release build from nothing, several minutes): the sdist built by
# pip in a temporary folder with Rust present, installed, and talking to the local hub.
test-sdist-python: build-sim python-dist-tools
	rm -rf $(PY_DIST_CHECK)/sdist
	cd bindings/python && $(MATURIN) sdist -o $(PY_DIST_CHECK)/sdist
	CAPTIVATE_SIM=$(SIM) scripts/check-python-sdist.sh $(PY_DIST_CHECK)/sdist/*.tar.gz
