# libcaptivate: install into a local prefix, build the C example and tests against it through
# pkg-config, run them (plain, under valgrind, with AddressSanitizer), and compile the header
# as C and C++.
C_PREFIX := $(CURDIR)/build/prefix
C_BUILD := $(CURDIR)/build/c
C_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
C_SONAME := libcaptivate.so.$(word 1,$(subst ., ,$(C_VERSION))).$(word 2,$(subst ., ,$(C_VERSION)))
PKG := PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config
CSTRICT := -std=c99 -Wall -Wextra -Wpedantic -Werror -g

.PHONY: demo-c test-c install-c install-lib install header

header:
	CAPTIVATE_BLESS=1 cargo test -q -p captivate-ffi --test header

C_PROFILE ?= debug
PREFIX ?= /usr/local

# The library (shared and static), its header and captivate.pc under C_PREFIX, from the
# C_PROFILE build.
install-lib:
	mkdir -p $(C_PREFIX)/lib/pkgconfig $(C_PREFIX)/include
	cp include/captivate.h $(C_PREFIX)/include/
	cp $(CARGO_TARGET_DIR)/$(C_PROFILE)/libcaptivate.so $(C_PREFIX)/lib/$(C_SONAME)
	ln -sf $(C_SONAME) $(C_PREFIX)/lib/libcaptivate.so
	cp $(CARGO_TARGET_DIR)/$(C_PROFILE)/libcaptivate.a $(C_PREFIX)/lib/
	sed -e 's|@PREFIX@|$(C_PREFIX)|' -e 's|@VERSION@|$(C_VERSION)|' ffi/captivate.pc.in > $(C_PREFIX)/lib/pkgconfig/captivate.pc

# For the examples and tests: the debug build under build/prefix.
install-c:
	cargo build -q -p captivate-ffi
	mkdir -p $(C_BUILD)
	$(MAKE) --no-print-directory install-lib C_PROFILE=debug

# For applications: `make install [PREFIX=/usr/local]`, a release build.
install:
	cargo build -q --release -p captivate-ffi
	$(MAKE) --no-print-directory install-lib C_PROFILE=release C_PREFIX=$(PREFIX)

$(C_BUILD)/chat: examples/c/chat.c install-c
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L examples/c/chat.c -o $@ $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread

demo-c: build-sim $(C_BUILD)/chat
	$(WITH_SIM) -- $(C_BUILD)/chat

test-c: build-sim install-c
	@echo "== the header compiles as C99 and as C++"
	printf '#include <captivate.h>\nint main(void) { return captivate_version() == 0; }\n' > $(C_BUILD)/header.c
	cc $(CSTRICT) -c $(C_BUILD)/header.c -o $(C_BUILD)/header_c.o $$($(PKG) --cflags captivate)
	c++ -x c++ -std=c++17 -Wall -Wextra -Werror -c $(C_BUILD)/header.c -o $(C_BUILD)/header_cpp.o $$($(PKG) --cflags captivate)
	@echo "== every exported symbol starts with captivate_"
	! nm -D --defined-only $(C_PREFIX)/lib/libcaptivate.so | awk '$$2 == "T" {print $$3}' | grep -v '^captivate_'
	@echo "== the example links statically too"
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L examples/c/chat.c -o $(C_BUILD)/chat_static $(C_PREFIX)/lib/libcaptivate.a $$($(PKG) --cflags --static --libs-only-other captivate) -lpthread -ldl -lm -lrt -lgcc_s -lutil
	$(WITH_SIM) -- $(C_BUILD)/chat_static > /dev/null
	@echo "== C tests"
	cc $(CSTRICT) -D_POSIX_C_SOURCE=200809L tests/c/test_captivate.c -o $(C_BUILD)/test_captivate $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	$(WITH_SIM) -- $(C_BUILD)/test_captivate
	@echo "== C tests under valgrind"
	$(WITH_SIM) -- valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite $(C_BUILD)/test_captivate
	@echo "== C tests with AddressSanitizer and UndefinedBehaviorSanitizer"
	cc $(CSTRICT) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L tests/c/test_captivate.c -o $(C_BUILD)/test_captivate_asan $$($(PKG) --cflags --libs captivate) -Wl,-rpath,$(C_PREFIX)/lib -lpthread
	nm $(C_BUILD)/test_captivate_asan | grep -q __asan_init
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(WITH_SIM) -- $(C_BUILD)/test_captivate_asan
