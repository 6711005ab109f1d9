# The Node addon (bindings/node, package captivate-chat): `npm install` builds it from source with
# cargo; the tests install it inside its folder and from a separate empty folder, type-check the
# tests and the example with `tsc --strict`, and run the `node --test` suite against the local hub.
# CAPTIVATE_NODE_PROFILE=debug reuses the workspace's debug build of the core (faster here);
# a plain `npm install` builds a release addon.
NODE_DIR := $(CURDIR)/bindings/node
NODE_EXAMPLE_DIR := $(CURDIR)/examples/node
NPM := npm --no-audit --no-fund --loglevel=error
export CAPTIVATE_NODE_PROFILE ?= debug

.PHONY: demo-node test-node install-node

install-node:
	cd $(NODE_DIR) && $(NPM) install --foreground-scripts

demo-node: build-sim
	cd $(NODE_EXAMPLE_DIR) && $(NPM) install --no-package-lock
	$(WITH_SIM) -- node $(NODE_EXAMPLE_DIR)/chat.mjs

test-node: build-sim
	@echo "== install from a separate, empty folder (no devDependencies there), the addon removed first"
	rm -f $(NODE_DIR)/captivate.node
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cd "$$tmp"; \
	  printf '{"name":"install-check","private":true}\n' > package.json; \
	  $(NPM) install --foreground-scripts $(NODE_DIR); \
	  test -f $(NODE_DIR)/captivate.node; \
	  node -e "const c = require('captivate-chat'); if (typeof c.CaptivateChatAPI.create !== 'function') process.exit(1); console.log('require: ok, version', c.version)"; \
	  node --input-type=module -e "import { CaptivateChatAPI } from 'captivate-chat'; if (typeof CaptivateChatAPI.create !== 'function') process.exit(1); console.log('import: ok')"
	@echo "== npm install inside the package (its devDependencies: typescript, @types/node)"
	$(MAKE) --no-print-directory install-node
	@echo "== tsc --strict over the definitions, the tests and the example"
	cd $(NODE_DIR) && npx --no-install tsc -p tsconfig.json
	@echo "== node --test"
	cd $(NODE_DIR) && CAPTIVATE_SIM=$(SIM) node --test --test-timeout=60000 --test-reporter=tap test/*.test.mjs
	@echo "== the Node example against the local hub"
	$(MAKE) --no-print-directory demo-node > /dev/null
