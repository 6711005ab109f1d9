# The READMEs' programs run as written (scripts/readme_blocks.py): every `rust`, `c`, `python`
# and `js` block of these files, against a fresh local hub each, with the front ends `make test`
# built (they are built here when missing).
README_FILES := README.md core/README.md cli/README.md sim/README.md bindings/python/README.md bindings/node/README.md

.PHONY: test-readme
test: test-readme

test-readme: build-sim install-c c-tools
	@test -x $(PY_VENV)/bin/python && $(PY_VENV)/bin/python -c 'import captivate' 2>/dev/null || $(MAKE) --no-print-directory python-venv
	@test -f $(NODE_DIR)/captivate.node || $(MAKE) --no-print-directory install-node
	python3 scripts/readme_blocks.py $(README_FILES)
