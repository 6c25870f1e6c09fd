# The one build: libcommon.a, every function, the tests.
#   make            build everything into build/
#   make run        install what is missing, build, start the local stack, print the URL
#   make stop       stop the local stack
#   make test       build and run the whole test suite (ends with "N passed, N failed")
#   make test-system  the same with the long system tests (PNPTV_TEST_FULL=1), then make fuzz
#   make asan       the same suite built with ASan + UBSan (into build/asan)
#   make fuzz       each libFuzzer target (tests/fuzz/*.cpp, clang) for FUZZ_SECONDS, on its corpus

BUILD    ?= build
CXX      ?= g++
OPT      ?= -O2
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
# The sanitizer build lives in its own folder, and any make aimed at that folder (make asan,
# or scripts/invoke with BUILD=build/asan) builds it with the same flags.
ifeq ($(BUILD),build/asan)
OPT      := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  := -pthread -fsanitize=address,undefined
endif
# (GCC 12 warns about members left to their default initializers in aggregate and designated
# initialisation, which is how settings structs are built.)
CXXFLAGS ?= -std=c++20 $(OPT) -g -Wall -Wextra -Werror -Wno-missing-field-initializers -pthread
# fmt header-only: one shared library fewer to load at every start.
CPPFLAGS += -Icommon -I/usr/include/postgresql -DFMT_HEADER_ONLY -MMD -MP
LDFLAGS  ?= -pthread -Wl,--as-needed
# What a binary links. Cold start matters (a function is also started per request in CGI mode,
# and a crashed worker comes back that way): every library Debian ships as a static archive is
# linked in (libstdc++, libgcc, libfcgi, libhiredis, zlib), so the loader maps and relocates
# fewer objects; libcurl only where a function calls out. Nettle (our hashing) is static too,
# except beside libpq, whose closure (OpenSSL, Kerberos, LDAP, GnuTLS — no static form in
# Debian) loads the shared Nettle anyway.
archive   = $(shell $(CXX) -print-file-name=lib$(1).a)
LINK_BASE := -static-libstdc++ -static-libgcc $(call archive,fcgi) $(call archive,hiredis) $(call archive,z) -lcurl
LINK_NO_PQ := $(LINK_BASE) $(call archive,nettle)
LINK_PQ    := $(LINK_BASE) -lpq -lnettle
LDLIBS   := -lfcgi -lpq -lhiredis -lcurl -lnettle -lz
TEST_LDLIBS := -lboost_unit_test_framework -lprometheus-cpp-core

COMMON_SRC  := $(wildcard common/*.cpp)
COMMON_OBJ  := $(COMMON_SRC:%.cpp=$(BUILD)/obj/%.o)
FUNCTIONS   := $(patsubst functions/%/main.cpp,%,$(wildcard functions/*/main.cpp))
# Everything in a function folder but main.cpp is its logic, linked into the tests too.
HANDLER_SRC := $(filter-out %/main.cpp,$(wildcard functions/*/*.cpp))
HANDLER_OBJ := $(HANDLER_SRC:%.cpp=$(BUILD)/obj/%.o)
TEST_SUPPORT_SRC := $(wildcard tests/support/*.cpp)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.cpp=$(BUILD)/obj/%.o)
TEST_SRC    := $(wildcard tests/*.cpp)
TEST_BIN    := $(patsubst tests/%.cpp,$(BUILD)/tests/%,$(TEST_SRC))
TOOLS       := $(patsubst scripts/tools/%.cpp,%,$(wildcard scripts/tools/*.cpp))
BENCH_BIN   := noop-responder noop-get-responder pg-connect with-stdin ws-fanout
BIN         := $(FUNCTIONS:%=$(BUILD)/bin/%) $(TOOLS:%=$(BUILD)/bin/%) $(BENCH_BIN:%=$(BUILD)/bin/%)

.PHONY: all run stop test test-system test-e2e asan fuzz clean setup FORCE
# Objects built through pattern rules are kept (make would delete them as intermediates).
.SECONDARY:
all: $(BUILD)/lib/libcommon.a $(BIN) $(TEST_BIN) $(BUILD)/public/assets-manifest.json

# The public root nginx serves: nginx/public with fingerprinted assets and the pages' catalogue.
$(BUILD)/public/assets-manifest.json: scripts/build-public $(shell find nginx/public -type f) common/messages_en.inc common/messages_es.inc
	scripts/build-public nginx/public $(BUILD)/public

# Objects follow the flags too: a change to this file rebuilds them.
$(BUILD)/obj/%.o: %.cpp Makefile
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: CPPFLAGS += -Itests/support -DBOOST_TEST_DYN_LINK

# The version /health reports: rebuilt whenever `git describe` changes, and only there.
$(BUILD)/version: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/obj/functions/health/handler.o: $(BUILD)/version
$(BUILD)/obj/functions/health/handler.o: CPPFLAGS += -DPNPTV_VERSION='"$(VERSION)"'
FORCE:

$(BUILD)/lib/libcommon.a: $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/libhandlers.a: $(HANDLER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# A function binary: its main, its own objects, libcommon. Linked first without libpq (and with
# static Nettle); a function that turns out to need PostgreSQL is linked again with libpq and the
# shared Nettle its closure brings. Real link errors show on the second try.
define function_binary
$(BUILD)/bin/$(1): $(BUILD)/obj/functions/$(1)/main.o $(patsubst %.cpp,$(BUILD)/obj/%.o,$(filter functions/$(1)/%,$(HANDLER_SRC))) $(BUILD)/lib/libcommon.a
	@mkdir -p $$(@D)
	@$$(CXX) $$(LDFLAGS) $$(CXXFLAGS) $$(filter %.o,$$^) $(BUILD)/lib/libcommon.a $$(LINK_NO_PQ) $$(LIBS_$(1)) -o $$@ 2>/dev/null || \
	  $$(CXX) $$(LDFLAGS) $$(CXXFLAGS) $$(filter %.o,$$^) $(BUILD)/lib/libcommon.a $$(LINK_PQ) $$(LIBS_$(1)) -o $$@
	@echo "link $$@"
endef
$(foreach f,$(filter-out image-convert,$(FUNCTIONS)),$(eval $(call function_binary,$(f))))
# Libraries one function alone needs (LIBS_<name>).
LIBS_metrics := -lprometheus-cpp-core

# The image decoder is the one program that links libvips (and its ~120 libraries): run per
# upload in its own process (common/images.hpp), it keeps them out of every other binary.
VIPS_CFLAGS = $(shell pkg-config --cflags vips)
VIPS_LIBS   = $(shell pkg-config --libs vips)
$(BUILD)/obj/functions/image-convert/%.o: CPPFLAGS += $(VIPS_CFLAGS)
$(BUILD)/bin/image-convert: $(BUILD)/obj/functions/image-convert/main.o
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) $(CXXFLAGS) $^ $(VIPS_LIBS) -o $@

# Operator tools (scripts/tools/<name>.cpp → build/bin/<name>), linked like functions.
$(BUILD)/bin/%: $(BUILD)/obj/scripts/tools/%.o $(BUILD)/lib/libcommon.a
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) $(CXXFLAGS) $< $(BUILD)/lib/libcommon.a $(LINK_PQ) -o $@

# The baselines the guard benchmark compares against (scripts/bench/): a bare no-op, and a
# no-op that does one Redis GET per request.
$(BUILD)/bin/noop-responder: $(BUILD)/obj/scripts/bench/noop_responder.o
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) $(CXXFLAGS) $^ -lfcgi -o $@
$(BUILD)/bin/noop-get-responder: $(BUILD)/obj/scripts/bench/noop_get_responder.o
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) $(CXXFLAGS) $^ -lfcgi -lhiredis -o $@
# The cold-start benchmark's floor (libpq connect + SELECT 1) and its launcher for bodies.
$(BUILD)/bin/pg-connect: scripts/bench/pg_connect.c
	@mkdir -p $(@D)
	$(CC) -O2 -I/usr/include/postgresql $< -lpq -o $@
# The chat benchmark's WebSocket subscribers (scripts/bench-chat).
$(BUILD)/bin/ws-fanout: scripts/bench/ws_fanout.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror $< -o $@
$(BUILD)/bin/with-stdin: scripts/bench/with_stdin.c
	@mkdir -p $(@D)
	$(CC) -O2 -static $< -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT_OBJ) $(BUILD)/lib/libhandlers.a $(BUILD)/lib/libcommon.a
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) $(CXXFLAGS) $(filter %.o,$^) $(BUILD)/lib/libhandlers.a $(BUILD)/lib/libcommon.a $(LDLIBS) $(TEST_LDLIBS) -o $@

setup:
	@scripts/setup

run: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@scripts/stack start

stop:
	@scripts/stack stop

test: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) tests/run

# The whole suite with the long versions of the system tests (deploy under longer load, the
# network-namespace hosts, the fault tests: PNPTV_TEST_FULL=1), then every fuzz target for
# FUZZ_SECONDS. Longer than CI's budget for make test; run before a release.
test-system: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) PNPTV_TEST_FULL=1 TEST_MESSAGES=1 tests/run
	@$(MAKE) --no-print-directory fuzz

# The browser suites alone (headless Chromium against a stack of their own); screenshots under
# $(BUILD)/e2e-artifacts/.
test-e2e: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) tests/run $(patsubst tests/%.cpp,%,$(wildcard tests/serial_e2e*.cpp))

asan: setup
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan all
	@BUILD=build/asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run

# Fuzz targets (tests/fuzz/<target>.cpp): clang's libFuzzer with ASan + UBSan, any UB an abort.
# They link one clang build of libcommon (build/fuzz/lib) rather than a source list each: the
# parsers under test reach into session, crypto, Redis and logging code, so the lists would be
# long and go stale, while an archive gives each target only the objects it uses and is built
# once (the first `make fuzz` takes a few minutes). Inputs libFuzzer finds go to build/fuzz/<target>;
# the committed corpus (tests/fuzz/corpus/<target>) and crash reproducers
# (tests/fuzz/regressions/<target>) stay as they are, and `make test` replays both
# (tests/fuzz_corpus.cpp). A crash, a leak or an input slower than FUZZ_TIMEOUT seconds fails make.
# FUZZ_RUNS, when set, also ends each target after that many inputs (`make fuzz FUZZ_RUNS=1000000
# FUZZ_SECONDS=0` for a fixed amount of work).
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_TIMEOUT ?= 10
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.cpp,%,$(wildcard tests/fuzz/*.cpp))
FUZZ_CXXFLAGS := -std=c++20 -g -O1 -Wall -Wextra -Werror -Wno-missing-field-initializers -pthread \
  -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS := -Icommon -I/usr/include/postgresql -DFMT_HEADER_ONLY -MMD -MP
FUZZ_COMMON_OBJ := $(COMMON_SRC:%.cpp=$(FUZZ_DIR)/obj/%.o)
# The same targets in the normal build, for the corpus replay suite (tests/fuzz_corpus.cpp, no
# clang needed): each one's LLVMFuzzerTestOneInput becomes fuzz_<target>, so all link into one binary.
FUZZ_REPLAY_OBJ := $(FUZZ_TARGETS:%=$(BUILD)/obj/tests/fuzz/%.o)
$(FUZZ_REPLAY_OBJ): CPPFLAGS += -DLLVMFuzzerTestOneInput=fuzz_$(basename $(@F))
$(BUILD)/tests/fuzz_corpus: $(FUZZ_REPLAY_OBJ)
.PHONY: fuzz-setup
fuzz: $(FUZZ_TARGETS:%=fuzz-%)
fuzz-setup:
	@scripts/setup fuzz
$(FUZZ_DIR)/obj/%.o: %.cpp Makefile | fuzz-setup
	@mkdir -p $(@D)
	clang++ $(FUZZ_CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_DIR)/lib/libcommon.a: $(FUZZ_COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(FUZZ_DIR)/bin/%: $(FUZZ_DIR)/obj/tests/fuzz/%.o $(FUZZ_DIR)/lib/libcommon.a
	@mkdir -p $(@D)
	clang++ $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $< $(FUZZ_DIR)/lib/libcommon.a $(LDLIBS) -o $@
fuzz-%: $(FUZZ_DIR)/bin/%
	@mkdir -p $(FUZZ_DIR)/$*
	$< -max_total_time=$(FUZZ_SECONDS) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_DIR)/$*- $(FUZZ_DIR)/$* tests/fuzz/corpus/$* $(wildcard tests/fuzz/regressions/$*)

clean:
	rm -rf build

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/tests/fuzz/*.d) $(FUZZ_REPLAY_OBJ:.o=.d)
-include $(COMMON_OBJ:.o=.d) $(HANDLER_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d) $(TEST_BIN:$(BUILD)/tests/%=$(BUILD)/obj/tests/%.d) $(FUNCTIONS:%=$(BUILD)/obj/functions/%/main.d)
