# The Node addon (bindings/node, package captivate-chat). In a checkout, `npm install` builds it
# from source with cargo; the tests install it inside its folder and from a separate empty folder,
# type-check the tests and the example with `tsc --strict`, and run the `node --test` suite
# against the local hub. CAPTIVATE_NODE_PROFILE=debug reuses the workspace's debug build of the
# core (faster here); a plain `npm install` builds a release addon.
#
# `make dist-node` makes the npm tarballs under dist/node: captivate-chat (with the Rust sources
# for platforms without a prebuilt addon) and this platform's prebuilt package, e.g.
# captivate-chat-linux-x64-gnu. `make test-dist-node` (part of `make test`) installs tarballs made
# the same way from a debug addon, on a PATH without Rust, and holds conversations with the local
# hub; `make test-node-source-build` installs the main tarball alone and builds it from source.
NODE_DIR := $(CURDIR)/bindings/node
NODE_EXAMPLE_DIR := $(CURDIR)/examples/node
NPM := npm --no-audit --no-fund --loglevel=error
export CAPTIVATE_NODE_PROFILE ?= debug

.PHONY: demo-node test-node install-node node-cli dist dist-node test-dist-node test-node-source-build
test: test-dist-node
dist: dist-node

NODE_DIST := $(CURDIR)/dist/node
NODE_ARTIFACTS := $(CARGO_TARGET_DIR)/node-artifacts
NODE_CHECK_DIST := $(CARGO_TARGET_DIR)/node-dist-check
CHECK_DIST := CAPTIVATE_SIM=$(SIM) $(NODE_DIR)/scripts/check-dist.sh

# $(call node-tarballs,PROFILE,OUT): the addon, packed into tarballs in OUT. Release: built by
# the napi CLI, as the release workflow does. Debug (the checks): the workspace's own debug
# build of the addon, which `make test-node` has made already, under the file name napi gives
# it (the napi CLI builds with an explicit --target, in a directory of its own: a second full
# build of every dependency).
define node-tarballs
rm -rf $(NODE_ARTIFACTS)/$(1) $(2)
$(if $(filter release,$(1)),cd $(NODE_DIR) && npx --no-install napi build --platform --no-js --release --output-dir $(NODE_ARTIFACTS)/$(1),cargo build -q -p captivate-node && mkdir -p $(NODE_ARTIFACTS)/$(1) && \
  cp $(CARGO_TARGET_DIR)/debug/libcaptivate_node.so $(NODE_ARTIFACTS)/$(1)/captivate.$$(cd $(NODE_DIR) && node -p "require('./addon.js').target()").node)
cd $(NODE_DIR) && node scripts/pack.js --artifacts $(NODE_ARTIFACTS)/$(1) --out $(2)
endef

# The package's devDependencies (the napi CLI among them), without the install script's build.
node-cli:
	cd $(NODE_DIR) && $(NPM) install --ignore-scripts

dist-node: node-cli
	$(call node-tarballs,release,$(NODE_DIST))

# A debug addon: the release build takes about 8 minutes here (the packing is the same).
test-dist-node: build-sim node-cli
	$(call node-tarballs,debug,$(NODE_CHECK_DIST))
	$(CHECK_DIST) $(NODE_CHECK_DIST)

# The main tarball alone, the addon built from its bundled sources: a release build of the
# core, about 7 minutes here, so not part of `make test`.
test-node-source-build: build-sim node-cli
	$(call node-tarballs,debug,$(NODE_CHECK_DIST))
	$(CHECK_DIST) --source-build $(NODE_CHECK_DIST)

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
