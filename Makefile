# ecomlake build. `make` builds build/ecomlake; `make test` installs missing dependencies, builds the
# release binary, the sanitizer build and the fuzz targets, and runs every test; `make run` runs the
# main job. Sources are found by wildcard: a new lib/*.c, src/cmd_*.c, tests/unit/test_*.c or
# tests/fuzz/fuzz_*.c needs no edit here.

V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
CC      ?= gcc
FUZZCC  ?= clang
PG_INC  := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -Wformat=2 -Wno-format-truncation
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -pthread -I$(PG_INC) -MMD -MP
LDLIBS  := -lcurl -lssl -lcrypto -lyaml -lzstd -lsnappy -lz -lsqlite3 -lpq -ljansson -lm -pthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC  := $(sort $(wildcard lib/*.c lib/*/*.c))
CLI_SRC  := $(sort $(wildcard src/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
TEST_SUPPORT := $(sort $(wildcard tests/unit/support/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=build/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=build/obj/%.o)
SUP_OBJ  := $(TEST_SUPPORT:%.c=build/obj/%.o)
ALIB_OBJ := $(LIB_SRC:%.c=build/asan/obj/%.o)
ACLI_OBJ := $(CLI_SRC:%.c=build/asan/obj/%.o)
ASUP_OBJ := $(TEST_SUPPORT:%.c=build/asan/obj/%.o)
FLIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)

UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
AUNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=build/tools/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: FORCE all test run deps unit asan fuzz tools benchbin bench clean check-build
all: build/ecomlake

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) -pthread -I$(PG_INC) -MMD -MP -c $< -o $@

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(FUZZCC) $(CSTD) -Wall -Wextra -Wno-unused-command-line-argument -O1 -g \
	  -fsanitize=fuzzer-no-link,address,undefined -I$(PG_INC) -MMD -MP -c $< -o $@

# The archives depend on the list of library sources, so a deleted source's object leaves them.
build/lib-sources.txt: FORCE
	@mkdir -p build
	@echo '$(LIB_SRC)' | cmp -s - $@ || echo '$(LIB_SRC)' > $@

build/libecomlake.a: $(LIB_OBJ) build/lib-sources.txt
	@rm -f $@
	@echo "  BUILD $@"
	$(Q)ar rcs $@ $(filter %.o,$^)

build/asan/libecomlake.a: $(ALIB_OBJ) build/lib-sources.txt
	@rm -f $@
	@echo "  BUILD $@"
	$(Q)ar rcs $@ $(filter %.o,$^)

build/fuzz/libecomlake.a: $(FLIB_OBJ) build/lib-sources.txt
	@rm -f $@
	@echo "  BUILD $@"
	$(Q)ar rcs $@ $(filter %.o,$^)

build/ecomlake: $(CLI_OBJ) build/libecomlake.a
	@echo "  BUILD $@"
	$(Q)$(CC) $(CFLAGS) -pthread -o $@ $(CLI_OBJ) build/libecomlake.a $(LDLIBS)

build/asan/ecomlake: $(ACLI_OBJ) build/asan/libecomlake.a
	@echo "  BUILD $@"
	$(Q)$(CC) $(SAN) -pthread -o $@ $(ACLI_OBJ) build/asan/libecomlake.a $(LDLIBS)

build/tests/%: build/obj/tests/unit/%.o $(SUP_OBJ) build/libecomlake.a
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) -pthread -o $@ $< $(SUP_OBJ) build/libecomlake.a -lcmocka $(LDLIBS)

build/asan/tests/%: build/asan/obj/tests/unit/%.o $(ASUP_OBJ) build/asan/libecomlake.a
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) $(SAN) -pthread -o $@ $< $(ASUP_OBJ) build/asan/libecomlake.a -lcmocka $(LDLIBS)

build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o build/fuzz/libecomlake.a
	@echo "  BUILD $@"
	$(Q)$(FUZZCC) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libecomlake.a $(LDLIBS)

# Test tools (tests/tools/*.c) and benchmark drivers (bench/*.c): small programs over the library.
build/tools/%: build/obj/tests/tools/%.o build/libecomlake.a
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) -pthread -o $@ $< build/libecomlake.a $(LDLIBS)

build/bench/%: build/obj/bench/%.o build/libecomlake.a
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) -pthread -o $@ $< build/libecomlake.a $(LDLIBS)

tools: $(TOOL_BIN)
benchbin: $(BENCH_BIN)
unit: $(UNIT_BIN)
asan: $(AUNIT_BIN) build/asan/ecomlake
fuzz: $(FUZZ_BIN)

# Everything the test command runs, built with warnings as errors.
check-build: build/ecomlake unit asan fuzz tools

deps:
	@scripts/install-deps --test

test: deps
	@$(MAKE) --no-print-directory -j2 check-build
	@scripts/run-tests

run:
	@scripts/install-deps --runtime
	@$(MAKE) --no-print-directory -j2 build/ecomlake
	@scripts/main-job

bench: deps
	@$(MAKE) --no-print-directory -j2 build/ecomlake tools benchbin
	@bench/run-all

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# lib/sqlfiles.c embeds the warehouse SQL files (sql/*/*.sql) with .incbin.
build/obj/lib/sqlfiles.o build/asan/obj/lib/sqlfiles.o build/fuzz/obj/lib/sqlfiles.o: $(wildcard sql/*/*.sql)
