# Fuzzing of the core with cargo-fuzz (libFuzzer): `make fuzz` runs each target of fuzz/ for
# FUZZ_SECONDS (default 60), the decoder seeded from the receive fixtures; `make test` runs
# `test-fuzz`, each target for FUZZ_TEST_SECONDS (10). The corpora grow under
# $(CARGO_TARGET_DIR)/fuzz-corpus/; a crash is saved under fuzz/artifacts/TARGET/ and replayed
# with `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET FILE`. cargo-fuzz comes from crates.io
# when missing, into build/tools (mk/tools.mk; about 3 minutes here, and the fuzz build about 7);
# it needs unstable compiler flags, which the stable toolchain accepts with RUSTC_BOOTSTRAP=1.
# fuzz/ is a workspace of its own with its own Cargo.lock, kept complete.
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 10
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_TARGETS ?= decode engine
FUZZ_CORPUS := $(CARGO_TARGET_DIR)/fuzz-corpus
FUZZ_SEEDS_decode := $(CURDIR)/core/tests/fixtures/receive
FUZZ_ENV := RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/fuzz

.PHONY: fuzz fuzz-tool test-fuzz

fuzz-tool:
	@command -v cargo-fuzz > /dev/null || \
	  cargo install -q cargo-fuzz@$(CARGO_FUZZ_VERSION) --locked --root $(TOOLS_ROOT) --target-dir $(CARGO_TARGET_DIR)/tools

test: test-fuzz
test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))

# One target: `make fuzz-engine FUZZ_SECONDS=600`.
fuzz-%: fuzz-tool
	mkdir -p $(FUZZ_CORPUS)/$*
	@echo "== fuzzing $* for $(FUZZ_SECONDS) s"
	cd fuzz && $(FUZZ_ENV) cargo fuzz run $* $(FUZZ_CORPUS)/$* $(FUZZ_SEEDS_$*) \
	  -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1

# The Autobahn test suite's client cases against the library, with a summary of its report
# (needs Python 2.7 for the suite; see fuzz/autobahn/run.sh). Not part of `make test`.
.PHONY: autobahn
autobahn:
	fuzz/autobahn/run.sh
