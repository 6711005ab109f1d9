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
	$(PY_VENV)/bin/python -m mypy --strict examples/python/chat.py bindings/python/tests
	$(PY_VENV)/bin/python -m mypy --strict -p captivate
	$(PY_VENV)/bin/python -m mypy.stubtest captivate._native
	@echo "== the Python example against the local hub"
	$(WITH_SIM) -- $(PY_VENV)/bin/python examples/python/chat.py > /dev/null
