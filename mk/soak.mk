# `make soak`: a thousand reconnects of one client with ten conversations open against the local
# hub, through the fault-injecting proxy (release builds; about two minutes). Prints resident
# memory, heap in use, tokio tasks, threads and file descriptors at the start, along the way and
# at the end, and fails when a conversation stops answering or when the heap, the tasks or the
# descriptors do not come back near where they started. Options go in SOAK_ARGS, e.g.
# `make soak SOAK_ARGS="--cycles 5000"` (see bench/src/bin/soak/main.rs). Not part of `make test`.
.PHONY: soak

soak:
	cargo build -q --release -p captivate-bench -p captivate-sim --bin soak --bin captivate-sim
	$(CARGO_TARGET_DIR)/release/soak $(SOAK_ARGS)
