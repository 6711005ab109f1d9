# `make dist`: the release artifacts under dist/, one target per kind:
#   dist-c     dist/c/libcaptivate-VERSION-PLATFORM.tar.gz (mk/c.mk)
#   dist-rust  dist/rust/*.crate, the crates for crates.io, packaged and verified by cargo
#   dist-cli   dist/cli/captivate-VERSION-HOST.tar.gz, the terminal client
# Each mk file adds its own to DIST_TARGETS (`DIST_TARGETS += dist-python`); `dist` makes them
# all, whatever the order the mk files are read in. Release builds use the one cargo target
# directory; archives are reproducible (sorted, owned by root, dated from the last commit).
DIST_DIR ?= $(CURDIR)/dist
DIST_STAGE ?= $(CURDIR)/build/dist-stage
DIST_VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
RUST_HOST = $(shell rustc -vV | sed -n 's/^host: //p')
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

# $(call dist_tar,DIR,NAME,ARCHIVE): DIR/NAME as the gzipped tarball ARCHIVE.
dist_tar = tar -C $(1) --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) \
  -I 'gzip -n' -cf $(3) $(2)

DIST_TARGETS += dist-rust dist-cli

.PHONY: dist dist-rust dist-cli

# The targets are read when the recipe runs, after every mk file has added its own.
dist:
	$(MAKE) --no-print-directory $(DIST_TARGETS)

# The crates meant for crates.io (the others have `publish = false`). `cargo package` refuses
# uncommitted changes to what it packages; CARGO_PACKAGE_FLAGS=--allow-dirty overrides that.
RUST_DIST_CRATES := captivate captivate-sim captivate-cli

dist-rust:
	cargo package $(CARGO_PACKAGE_FLAGS) $(addprefix -p ,$(RUST_DIST_CRATES))
	rm -rf $(DIST_DIR)/rust && mkdir -p $(DIST_DIR)/rust
	set -e; for c in $(RUST_DIST_CRATES); do \
	  crate=$(CARGO_TARGET_DIR)/package/$$c-$(DIST_VERSION).crate; \
	  for f in LICENSE-MIT LICENSE-APACHE README.md; do \
	    tar -tzf $$crate | grep -qx "$$c-$(DIST_VERSION)/$$f" || { echo "$$crate lacks $$f" >&2; exit 1; }; \
	  done; \
	  cp $$crate $(DIST_DIR)/rust/; \
	done

CLI_DIST_NAME = captivate-$(DIST_VERSION)-$(RUST_HOST)

dist-cli:
	cargo build -q --release -p captivate-cli
	rm -rf $(DIST_STAGE)/cli && mkdir -p $(DIST_DIR)/cli
	install -D -m 0755 $(CARGO_TARGET_DIR)/release/captivate $(DIST_STAGE)/cli/$(CLI_DIST_NAME)/captivate
	install -m 0644 LICENSE-MIT LICENSE-APACHE CHANGELOG.md $(DIST_STAGE)/cli/$(CLI_DIST_NAME)/
	install -m 0644 cli/README.md $(DIST_STAGE)/cli/$(CLI_DIST_NAME)/README.md
	$(call dist_tar,$(DIST_STAGE)/cli,$(CLI_DIST_NAME),$(DIST_DIR)/cli/$(CLI_DIST_NAME).tar.gz)
	rm -rf $(DIST_STAGE)/cli
