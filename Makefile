# captivate: `make demo` holds a conversation with the local hub from every front end;
# `make test` runs every test. One cargo target directory serves everything.
export CARGO_TARGET_DIR ?= $(CURDIR)/target
SIM := $(CARGO_TARGET_DIR)/debug/captivate-sim
WITH_SIM := scripts/with-sim.sh

.PHONY: demo test build-sim demo-rust test-rust lint docs bless
.DEFAULT_GOAL := demo

demo: demo-rust demo-c demo-python demo-node
test: test-rust test-c test-python test-dist-python test-node

build-sim:
	cargo build -q -p captivate-sim

demo-rust: build-sim
	cargo build -q -p captivate-examples
	$(WITH_SIM) -- $(CARGO_TARGET_DIR)/debug/chat

test-rust: lint docs
	cargo test --workspace --exclude captivate-python
	@echo "== the Rust example against the local hub"
	$(MAKE) --no-print-directory demo-rust > /dev/null

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude captivate-python --all-targets -- -D warnings

# Writes the golden files afresh (the canonical JSON of events, the C header): the only way;
# the tests themselves always compare. Check the diff before committing it.
bless:
	CAPTIVATE_BLESS=1 cargo test -q -p captivate --test canonical -- --ignored --exact bless
	CAPTIVATE_BLESS=1 cargo test -q -p captivate-ffi --test header -- --ignored --exact bless

# The C library's crate shares the core's library name, so its docs are checked on their own.
docs:
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p captivate -p captivate-sim
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p captivate-ffi

include mk/*.mk
