# `make check-races`: ThreadSanitizer over the threaded parts, with the standard library itself
# instrumented (-Zbuild-std): the core's unit tests (the completion tables among them), the
# binding's tests (the one ordered event feed the Python and Node front ends read from their own
# threads), and the C tests against a TSan build of libcaptivate (its dispatch thread), linked
# with the toolchain's own TSan runtime (gcc's is older than the instrumentation rustc emits).
# Needs a nightly toolchain and its rust-src component (added here when missing): not part of
# `make test`, since a fresh machine has its stable toolchain only. The builds go to
# $(CARGO_TARGET_DIR)/tsan (about 10 minutes the first time on 2 cores). Reports TSan cannot see
# through are suppressed in tests/races/tsan.supp, each with its reason.
TSAN_HOST = $(shell rustc +nightly -vV | sed -n 's/^host: //p')
TSAN_TARGET_DIR := $(CARGO_TARGET_DIR)/tsan
TSAN_BUILD := $(CURDIR)/build/tsan
TSAN_CARGO = CARGO_TARGET_DIR=$(TSAN_TARGET_DIR) RUSTFLAGS=-Zsanitizer=thread \
  cargo +nightly $(1) -Zbuild-std --target $(TSAN_HOST)
check-races: export TSAN_OPTIONS := halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/races/tsan.supp
TSAN_RT = $$(rustc +nightly --print sysroot)/lib/rustlib/$(TSAN_HOST)/lib/librustc-nightly_rt.tsan.a
TSAN_PKG := PKG_CONFIG_PATH=$(TSAN_BUILD)/prefix/lib/pkgconfig pkg-config

.PHONY: check-races

check-races: build-sim c-tools
	rustup component list --toolchain nightly --installed | grep -q '^rust-src' || rustup component add rust-src --toolchain nightly
	@echo "== the core's unit tests and the binding's tests under ThreadSanitizer"
	$(call TSAN_CARGO,test) -p captivate --lib
	$(call TSAN_CARGO,test) -p captivate-binding --tests
	@echo "== the C tests against a ThreadSanitizer build of libcaptivate"
	$(call TSAN_CARGO,build) -q -p captivate-ffi
	rm -rf $(TSAN_BUILD) && mkdir -p $(TSAN_BUILD)
	scripts/install-c.sh --from $(TSAN_TARGET_DIR)/$(TSAN_HOST)/debug --prefix $(TSAN_BUILD)/prefix
	nm -D $(TSAN_BUILD)/prefix/lib/libcaptivate.so | grep -q ' U __tsan_func_entry'
	cc $(CSTRICT) -fsanitize=thread -D_POSIX_C_SOURCE=200809L -c tests/c/test_captivate.c -o $(TSAN_BUILD)/test_captivate.o $$($(TSAN_PKG) --cflags captivate)
	cc -o $(TSAN_BUILD)/test_captivate $(TSAN_BUILD)/test_captivate.o -Wl,--whole-archive $(TSAN_RT) -Wl,--no-whole-archive \
	  $$($(TSAN_PKG) --libs captivate) -Wl,-rpath,$(TSAN_BUILD)/prefix/lib -lpthread -ldl -lm -lstdc++
	$(WITH_SIM) -- $(TSAN_BUILD)/test_captivate
