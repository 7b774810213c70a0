# ---- Fuzzing: libFuzzer harnesses of the core under ASan/UBSan (test/fuzz) ----
# Included by the Makefile with -include: copies of the tree without test/fuzz still build.
# make fuzz-build                  build the harnesses (clang-14, libclang-rt-14-dev)
# make fuzz-smoke FUZZ_SECONDS=30  a short run of each from its seed corpus (the test command)
# make fuzz FUZZ_SECONDS=3600      longer runs; new inputs are kept in test/fuzz/work/<harness>
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 30
FUZZ_DIR      = test/fuzz
FUZZ_BUILD    = $(FUZZ_DIR)/build
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -g -O1 -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Werror -Isrc $(PKG_CFLAGS)
FUZZ_CORE_OBJS = $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(CORE_SRCS))
FUZZ_HARNESSES = $(patsubst $(FUZZ_DIR)/%.c,%,$(sort $(wildcard $(FUZZ_DIR)/fuzz_*.c)))
FUZZ_BINS      = $(addprefix $(FUZZ_BUILD)/,$(FUZZ_HARNESSES))

$(FUZZ_BUILD)/src/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/fuzz_common.h $(FUZZ_CORE_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SANITIZE) -o $@ $< $(FUZZ_CORE_OBJS) $(PKG_LIBS) -lm

.PHONY: fuzz-build fuzz-smoke fuzz
fuzz-build: $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash $(FUZZ_DIR)/run_fuzz.sh $(FUZZ_HARNESSES)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_KEEP=1 bash $(FUZZ_DIR)/run_fuzz.sh $(FUZZ_HARNESSES)

EXTRA_CLEAN += $(FUZZ_BUILD) $(FUZZ_DIR)/work
