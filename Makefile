# C12 build. `make` builds build/c12; `make test` installs what is missing,
# builds an optimized and a sanitizer (ASan+UBSan) build and runs every test.
#
# Sources are found by wildcard: a module is a folder under src/, a unit test
# is tests/<module>/test_*.c (one cmocka program each), an integration test is
# tests/integration/test_*.py (pytest, against the real binary).
#
# Which build runs what:
#   - unit tests (cmocka): sanitizer build (build/san), always;
#   - integration tests: the sanitizer binary for everything quick, and the
#     optimized binary (build/c12) for the model-heavy checks of each of the
#     three catalogue models (golden token ids over 2,474 texts, perplexity,
#     50 greedy continuations, logits), which would take far too long under
#     ASan; the sanitizer binary still runs a few tokens of each architecture. Each such test says which binary it uses
#     (C12_BIN vs C12_SAN_BIN in tests/integration/conftest.py).

CC      ?= gcc
CLANG   ?= clang
PYTHON  ?= python3
BUILD   := build

WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE
# libpq's header is under /usr/include/postgresql on Debian (libpq-dev).
PQ_INC  := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
INC     := -Isrc $(PQ_INC)
LIBS    := -lzip -lcrypto -lpcre2-8 -lpcre2-32 -lcurl -ljansson -lyaml -lmicrohttpd -lsqlite3 -lpq -lm -lpthread

OPT_CFLAGS := $(WARN) $(DEFS) $(INC) -O2 -g
SAN_CFLAGS := $(WARN) $(DEFS) $(INC) -O1 -g -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -DC12_ALLOC_TESTING
# ThreadSanitizer (make test-tsan): the request path's integration tests.
TSAN_CFLAGS := $(WARN) $(DEFS) $(INC) -O1 -g -fno-omit-frame-pointer -fsanitize=thread

# Per-file ISA flags: kernels live in files named *_avx2.c / *_avx512.c and are
# chosen at run time from the CPU's features.
ISA_avx2   := -mavx2 -mfma -mf16c
ISA_avx512 := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
isa = $(if $(findstring _avx512.c,$1),$(ISA_avx512),$(if $(findstring _avx2.c,$1),$(ISA_avx2),))

# SKIP_MODULES=carbon leaves a module's sources out (for building while a
# module is half-written; its CLI command then fails to link if it is used).
SKIP_MODULES ?=
LIB_SRC  := $(sort $(filter-out src/cli/% $(SKIP_MODULES:%=src/%/%),$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/*/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# The dashboard's files are embedded by src/web/assets.c (.incbin, which the
# compiler's dependency lists do not see): an edited page rebuilds it.
WEB_FILES := $(sort $(wildcard web/dashboard/* web/vendor/*/*))

OPT_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/opt/%.o)
OPT_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/opt/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
SAN_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/san/%.o)
UNIT_BIN    := $(UNIT_SRC:%.c=$(BUILD)/san/%)
FUZZ_BIN    := $(FUZZ_SRC:%.c=$(BUILD)/fuzz/%)

.PHONY: all deps deps-test test test-compose unit integration run fuzz fuzz-long fuzz-corpus fuzz-smoke test-tsan golden golden-tiny bench-engine bench-quant bench-serve bench-directives bench-gateway soak clean san models models-all vocab

all: $(BUILD)/c12

$(BUILD)/opt/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(OPT_CFLAGS) $(call isa,$<) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(call isa,$<) -MMD -MP -c $< -o $@

$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) $(call isa,$<) -MMD -MP -c $< -o $@

$(BUILD)/opt/src/web/assets.o $(BUILD)/san/src/web/assets.o $(BUILD)/fuzz/src/web/assets.o $(BUILD)/tsan/src/web/assets.o: $(WEB_FILES)

$(BUILD)/opt/libc12.a: $(OPT_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/san/libc12.a: $(SAN_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/c12: $(OPT_CLI_OBJ) $(BUILD)/opt/libc12.a
	$(CC) $(OPT_CFLAGS) -o $@ $(OPT_CLI_OBJ) $(BUILD)/opt/libc12.a $(LIBS)

$(BUILD)/san/c12: $(SAN_CLI_OBJ) $(BUILD)/san/libc12.a
	$(CC) $(SAN_CFLAGS) -o $@ $(SAN_CLI_OBJ) $(BUILD)/san/libc12.a $(LIBS)

$(BUILD)/tsan/libc12.a: $(LIB_SRC:%.c=$(BUILD)/tsan/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tsan/c12: $(CLI_SRC:%.c=$(BUILD)/tsan/%.o) $(BUILD)/tsan/libc12.a
	$(CC) $(TSAN_CFLAGS) -o $@ $(CLI_SRC:%.c=$(BUILD)/tsan/%.o) $(BUILD)/tsan/libc12.a $(LIBS)

$(BUILD)/san/tests/%: tests/%.c $(BUILD)/san/libc12.a
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Itests $(call isa,$<) -o $@ $< $(BUILD)/san/libc12.a -lcmocka $(LIBS)

san: $(BUILD)/san/c12

deps:
	@bash scripts/deps.sh

deps-test:
	@bash scripts/deps.sh --test

models: $(BUILD)/c12
	$(BUILD)/c12 models pull smollm2-135m

# The tests check every catalogue model against llama.cpp's golden files
# (tests/integration/test_engine_{smollm,qwen,gemma}.py): pull all three.
models-all: $(BUILD)/c12
	$(BUILD)/c12 models pull --all

# llama.cpp's tokenizer tests (tests/integration/test_tokenize_vocab.py), from
# the llama-cpp-python sdist through pip, into $$C12_HOME/vocab, outside the repo.
vocab:
	@bash scripts/vocab_fetch.sh

unit: $(UNIT_BIN)
	@bash scripts/run_unit.sh $(UNIT_BIN)

integration: $(BUILD)/c12 $(BUILD)/san/c12 models-all vocab
	C12_BIN=$(abspath $(BUILD)/c12) C12_SAN_BIN=$(abspath $(BUILD)/san/c12) \
	  $(PYTHON) -m pytest -q tests/integration

test: deps-test
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration

# The request path under ThreadSanitizer (not in `make test`: slower): the
# server's integration tests with the TSan binary in place of the ASan one
# (scripts/test_tsan.sh lists them; a race report fails the test).
test-tsan: deps-test $(BUILD)/c12 $(BUILD)/tsan/c12 models-all
	C12_BIN=$(abspath $(BUILD)/c12) C12_SAN_BIN=$(abspath $(BUILD)/tsan/c12) bash scripts/test_tsan.sh

run: deps $(BUILD)/c12 models-all
	$(BUILD)/c12 serve

# The docker-compose stack (docker-compose.yml, deploy/docker), built from a
# local Debian base and run for real: tests/compose/test_compose.py. It seeds
# the models volume with the host's smollm2-135m (make models). Bounded: the
# test keeps to 15 minutes itself, timeout stops it a little after that (its
# SIGTERM handler still tears the stack down).
test-compose: models
	@bash scripts/deps.sh --compose
	timeout -k 60 930 $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/compose

# libFuzzer targets, each run for FUZZ_SECONDS (bounded). The library is
# rebuilt with clang and coverage instrumentation in build/fuzz.
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := $(WARN) $(DEFS) $(INC) -O1 -g -fsanitize=address,undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
$(BUILD)/fuzz/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(call isa,$<) -MMD -MP -c $< -o $@
$(BUILD)/fuzz/libc12.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/fuzz/tests/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libc12.a
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libc12.a $(LIBS)

fuzz: deps-test $(FUZZ_BIN)
	@bash scripts/run_fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# The long campaign (not part of `make test`): every target for FUZZ_LONG_S
# seconds, FUZZ_JOBS at a time, from the committed corpus tests/fuzz/corpus;
# a table of executions and coverage; fails on any crash or leak.
# `make fuzz-corpus` merges what the last campaign found into that corpus.
FUZZ_LONG_S ?= 600
FUZZ_JOBS ?= $(shell nproc)
fuzz-long: deps-test $(FUZZ_BIN)
	@bash scripts/fuzz_long.sh run $(FUZZ_LONG_S) $(FUZZ_JOBS) $(FUZZ_BIN)

# In `make test`: every target builds and runs once over its committed
# corpus and seeds (no fuzzing): a target that no longer compiles, or an
# input that once passed and now fails, stops the test.
fuzz-smoke: $(FUZZ_BIN)
	@bash scripts/fuzz_long.sh smoke $(FUZZ_BIN)

fuzz-corpus: $(FUZZ_BIN)
	@bash scripts/fuzz_long.sh merge $(FUZZ_BIN)

golden: $(BUILD)/c12
	bash scripts/golden.sh

# Tiny random-weight models of every architecture and llama.cpp's logits on
# them (tests/golden/tiny, scripts/oracle/goldens.py); needs the reference venv.
REF_PY ?= $(HOME)/.cache/c12/ref-venv/bin/python
golden-tiny:
	@[ -x "$(REF_PY)" ] || bash scripts/ref_venv.sh
	cd /tmp && "$(REF_PY)" "$(CURDIR)/scripts/oracle/goldens.py" "$(abspath $(BUILD))/tiny"

bench-engine: $(BUILD)/c12
	bash bench/engine.sh

bench-serve: $(BUILD)/c12 models
	C12_BIN=$(BUILD)/c12 bash bench/serve.sh

# C12 under steady load for SOAK_S seconds (bench/soak.py; not part of
# `make test`): exits 0 only when it held. Bounded: SOAK_S + 10 minutes.
SOAK_S ?= 600
soak: $(BUILD)/c12
	$(BUILD)/c12 models pull smollm2-135m gemma3-270m
	C12_BIN=$(abspath $(BUILD)/c12) SOAK_S=$(SOAK_S) timeout -k 30 $$(( $(SOAK_S) + 600 )) $(PYTHON) bench/soak.py

bench-directives: $(BUILD)/c12 models
	C12=$(BUILD)/c12 bash bench/directives.sh

# The latency C12 adds in front of an OpenAI upstream, beside LiteLLM's
# proxy when it is installed (bench/gateway.py; needs wrk).
bench-gateway: $(BUILD)/c12
	@mkdir -p $(BUILD)/bench
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -o $(BUILD)/bench/fixed_upstream bench/fixed_upstream.c
	C12_BIN=$(abspath $(BUILD)/c12) FIXED_UPSTREAM=$(abspath $(BUILD)/bench/fixed_upstream) $(PYTHON) bench/gateway.py

bench-quant: $(BUILD)/opt/libc12.a
	$(CC) $(OPT_CFLAGS) -o $(BUILD)/quant_bench bench/quant_bench.c $(BUILD)/opt/libc12.a -lm
	$(BUILD)/quant_bench

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
