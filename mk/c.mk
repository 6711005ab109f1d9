# libcaptivate: install into a local prefix, build the C example and tests against it through
# pkg-config, run them (plain, under valgrind, with AddressSanitizer), and compile the header
# as C and C++. `make install`, `make uninstall` and `make dist-c` ship it with its test header
# and the local hub's program, captivate-sim (scripts/install-c.sh); test-dist-c checks what they
# ship.
C_PREFIX := $(CURDIR)/build/prefix
C_BUILD := $(CURDIR)/build/c
C_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
PKG := PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config
CSTRICT := -std=c99 -Wall -Wextra -Wpedantic -Werror -g

.PHONY: demo-c test-c test-dist-c install-c install-lib install uninstall dist-c header

header:
	CAPTIVATE_BLESS=1 cargo test -q -p captivate-ffi --test header -- --ignored --exact bless

C_PROFILE ?= debug

# `make install`: a release build under PREFIX. BINDIR, LIBDIR, INCLUDEDIR and DOCDIR are
# relative to PREFIX or absolute; DESTDIR stages the files elsewhere (for packagers). See
# scripts/install-c.sh.
PREFIX ?= /usr/local
BINDIR ?= bin
LIBDIR ?= lib
INCLUDEDIR ?= include
DOCDIR ?= share/doc/captivate
C_INSTALL_DIRS = --prefix "$(PREFIX)" --bindir "$(BINDIR)" --libdir "$(LIBDIR)" --includedir "$(INCLUDEDIR)" --docdir "$(DOCDIR)" --destdir "$(DESTDIR)"

# The C_PROFILE build under C_PREFIX (lib, include, bin), for the examples, the tests and
# bench/run.sh.
install-lib:
	scripts/install-c.sh --from $(CARGO_TARGET_DIR)/$(C_PROFILE) --prefix $(C_PREFIX)

# For the examples and tests: the debug build under build/prefix.
install-c:
	cargo build -q -p captivate-ffi -p captivate-sim
	mkdir -p $(C_BUILD)
	$(MAKE) --no-print-directory install-lib C_PROFILE=debug

# What `make install` and `make dist-c` ship: the release build of the library and of
# captivate-sim. test-dist-c sets debug, for the same recipes without a second, release, build
# (about 4 minutes on 2 cores).
C_INSTALL_PROFILE ?= release
c_install_build = cargo build -q --profile $(if $(filter debug,$(C_INSTALL_PROFILE)),dev,$(C_INSTALL_PROFILE)) -p captivate-ffi -p captivate-sim

install:
	$(c_install_build)
	scripts/install-c.sh --from $(CARGO_TARGET_DIR)/$(C_INSTALL_PROFILE) $(C_INSTALL_DIRS)

uninstall:
	scripts/install-c.sh --uninstall $(C_INSTALL_DIRS)

# `make dist-c`: dist/c/libcaptivate-VERSION-PLATFORM.tar.gz, the tree `make install` makes,
# with .pc files relative to their own location.
C_PLATFORM = $(subst -unknown-,-,$(RUST_HOST))
C_DIST_NAME = libcaptivate-$(C_VERSION)-$(C_PLATFORM)
DIST_TARGETS += dist-c

dist-c:
	$(c_install_build)
	rm -rf $(DIST_STAGE)/c && mkdir -p $(DIST_STAGE)/c $(DIST_DIR)/c
	scripts/install-c.sh --relocatable --from $(CARGO_TARGET_DIR)/$(C_INSTALL_PROFILE) --prefix $(DIST_STAGE)/c/$(C_DIST_NAME)
	$(call dist_tar,$(DIST_STAGE)/c,$(C_DIST_NAME),$(DIST_DIR)/c/$(C_DIST_NAME).tar.gz)
	rm -rf $(DIST_STAGE)/c

$(C_BUILD)/chat: examples/c/chat.c install-c c-tools
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L examples/c/chat.c -o $@ $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread

demo-c: build-sim $(C_BUILD)/chat
	$(WITH_SIM) -- $(C_BUILD)/chat

test-c: build-sim install-c c-tools
	@echo "== the headers compile as C99 and as C++"
	printf '#include <captivate.h>\n#include <captivate_test.h>\nint main(void) { return captivate_version() == 0 || captivate_test_hub_stop(NULL) != 0; }\n' > $(C_BUILD)/header.c
	cc $(CSTRICT) -c $(C_BUILD)/header.c -o $(C_BUILD)/header_c.o $$($(PKG) --cflags captivate)
	c++ -x c++ -std=c++17 -Wall -Wextra -Werror -c $(C_BUILD)/header.c -o $(C_BUILD)/header_cpp.o $$($(PKG) --cflags captivate)
	@echo "== every exported symbol starts with captivate_"
	! nm -D --defined-only $(C_PREFIX)/lib/libcaptivate.so | awk '$$2 == "T" {print $$3}' | grep -v '^captivate_'
	@echo "== the example links the static archive too (captivate-static.pc)"
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L examples/c/chat.c -o $(C_BUILD)/chat_static $$($(PKG) --cflags --libs captivate-static) -lpthread
	! readelf -d $(C_BUILD)/chat_static | grep -q 'NEEDED.*libcaptivate'
	$(WITH_SIM) -- $(C_BUILD)/chat_static > /dev/null
	@echo "== the examples of the other callback modes: the library's thread, the application's event loop"
	for ex in library_thread event_loop; do \
	  cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L examples/c/$$ex.c -o $(C_BUILD)/$$ex $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread \
	  && $(WITH_SIM) -- valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite $(C_BUILD)/$$ex > /dev/null || exit 1; \
	done
	@echo "== C tests"
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L tests/c/test_captivate.c -o $(C_BUILD)/test_captivate $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	$(WITH_SIM) -- $(C_BUILD)/test_captivate
	@echo "== C tests under valgrind"
	$(WITH_SIM) -- valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite $(C_BUILD)/test_captivate
	@echo "== C tests with AddressSanitizer and UndefinedBehaviorSanitizer"
	cc $(CSTRICT) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L tests/c/test_captivate.c -o $(C_BUILD)/test_captivate_asan $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	nm $(C_BUILD)/test_captivate_asan | grep -q __asan_init
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(WITH_SIM) -- $(C_BUILD)/test_captivate_asan
	@echo "== the local hub in the process (captivate_test.h): plain, under valgrind, with the sanitizers"
	cc $(CSTRICT) tests/c/test_hub.c -o $(C_BUILD)/test_hub $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	$(C_BUILD)/test_hub
	CAPTIVATE_TEST_HUB_NO_TLS=1 valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite $(C_BUILD)/test_hub
	cc $(CSTRICT) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer tests/c/test_hub.c -o $(C_BUILD)/test_hub_asan $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(C_BUILD)/test_hub_asan
	@echo "== the delivery scenarios of tests/delivery/scenarios.json (as a header, by tests/c/delivery_scenarios.py): plain, under valgrind, with the sanitizers"
	$(PYTHON) tests/c/delivery_scenarios.py tests/delivery/scenarios.json $(C_BUILD)/delivery_scenarios.h
	cc $(CSTRICT) -I$(C_BUILD) tests/c/test_delivery.c -o $(C_BUILD)/test_delivery $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	$(C_BUILD)/test_delivery
	valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite $(C_BUILD)/test_delivery
	cc $(CSTRICT) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -I$(C_BUILD) tests/c/test_delivery.c -o $(C_BUILD)/test_delivery_asan $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(C_BUILD)/test_delivery_asan
	@echo "== the README's test program (Testing your app) is examples/c/app_test.c, and passes"
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L examples/c/app_test.c -o $(C_BUILD)/app_test $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	$(C_BUILD)/app_test

# The shipped tree as users get it (tests/c/check-dist.sh): dist-c's archive, made from the debug
# build (the recipe is the same; a release build would add minutes), unpacked elsewhere and
# built against with pkg-config and CMake; `make install`/`uninstall` with DESTDIR and LIBDIR.
test: test-dist-c
test-dist-c: build-sim c-tools
	$(MAKE) --no-print-directory dist-c C_INSTALL_PROFILE=debug DIST_DIR=$(C_BUILD)/dist DIST_STAGE=$(C_BUILD)/dist-stage
	tests/c/check-dist.sh $(C_BUILD)/dist/c/$(C_DIST_NAME).tar.gz C_INSTALL_PROFILE=debug
