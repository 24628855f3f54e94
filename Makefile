# harmony-sync — see README.md.  `make` builds ./harmony-sync.
CC ?= cc
CFLAGS ?= -O2 -g
HS_CFLAGS = -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE -Iconnector -MMD -MP
LDLIBS = -lldap -llber -lcurl -ljansson -lsqlite3 -lyaml -lm
BUILD ?= build
BIN ?= harmony-sync

SRCS := $(filter-out connector/main.c,$(wildcard connector/*.c connector/util/*.c))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libhs.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check unit asan valgrind bench demo clean
all: $(BIN)

$(BIN): $(BUILD)/connector/main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HS_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/t*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HS_CFLAGS) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Installs the Debian and npm packages the build and the tests need.
deps:
	@bash scripts/deps.sh

unit: $(BIN) $(UNIT_BINS)

# The whole suite: unit tests, then integration tests against real servers.
check: deps
	@$(MAKE) --no-print-directory unit
	@HS_BIN=$(abspath $(BIN)) HS_UNIT_DIR=$(abspath $(BUILD)/tests) bash tests/run.sh

# The suite under AddressSanitizer + UBSan, in its own build directory.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/harmony-sync \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" unit
	@ASAN_OPTIONS=detect_leaks=1 HS_BIN=$(abspath build-asan/harmony-sync) \
		HS_UNIT_DIR=$(abspath build-asan/tests) bash tests/run.sh

# The integration tests with the binary under valgrind's memcheck.
valgrind: deps
	@$(MAKE) --no-print-directory $(BIN)
	@d=$$(mktemp -d); HS_VALGRIND_DIR=$$d HS_SKIP_UNIT=1 \
		HS_BIN=$(abspath scripts/valgrind-wrap.sh) \
		HS_UNIT_DIR=$(abspath $(BUILD)/tests) bash tests/run.sh; \
		rc=$$?; rm -rf $$d; exit $$rc

bench: deps $(BIN)
	@bash scripts/bench.sh $(abspath $(BIN))

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@bash scripts/demo.sh $(abspath $(BIN))

clean:
	rm -rf build build-asan $(BIN)

-include $(OBJS:.o=.d) $(BUILD)/connector/main.d
