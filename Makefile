# ser — speech emotion recognition inside PostgreSQL (PGXS build)

EXTENSION  = ser
EXTVERSION = 0.1.0

MODULE_big = ser

# The core: plain C, no PostgreSQL headers, unit-tested on its own.
# Data flow: audio (bytes -> PCM) -> features (PCM -> frames -> features)
#            -> model (the network) -> classifier (features -> model -> label);
#            dataset holds RAVDESS naming.
CORE_SRCS = $(sort $(wildcard src/common/*.c src/audio/*.c src/features/*.c \
                              src/model/*.c src/classifier/*.c src/dataset/*.c))
# Thin fmgr wrappers over the core.
PG_SRCS   = $(sort $(wildcard src/pg/*.c))
CORE_HDRS = $(sort $(wildcard src/common/*.h src/audio/*.h src/features/*.h \
                              src/model/*.h src/classifier/*.h src/dataset/*.h))
CORE_OBJS = $(CORE_SRCS:.c=.o)
OBJS      = $(CORE_OBJS) $(PG_SRCS:.c=.o)

# The install script is assembled from one hand-edited file per area
# (sql/install/NN_area.sql); released versions' upgrade scripts are kept
# as sql/ser--A--B.sql.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA_built    = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA          = $(wildcard sql/$(EXTENSION)--*--*.sql) $(wildcard model/ser_default.sermodel)

# Regression tests (sql/NAME.sql, expected/NAME.out), one concern each.
REGRESS_AUDIO    = audio_info audio_decode audio_errors audio_limits audio_findings
REGRESS_FEATURES = features_names features_values features_frames features_melspectrogram features_mfcc features_pitch features_errors features_deterministic features_params
REGRESS_DATASET  = dataset_parse dataset_load dataset_stats
REGRESS_MODEL    = model_train model_evaluate model_predict model_default model_profile
REGRESS = setup $(REGRESS_AUDIO) $(REGRESS_FEATURES) $(REGRESS_DATASET) $(REGRESS_MODEL) catalog

LIBS_PKG    = sndfile vorbis ogg fftw3f openblas soxr
PKG_CFLAGS := $(shell pkg-config --cflags $(LIBS_PKG))
PKG_LIBS   := $(shell pkg-config --libs $(LIBS_PKG))

# PostgreSQL's headers as system headers: -Wextra then judges our code only
# (the server headers trip -Wunused-parameter and -Wsign-compare).
PG_CPPFLAGS = -I$(srcdir)/src $(PKG_CFLAGS) -isystem $(shell $(PG_CONFIG) --includedir-server)
# -O3: the DSP loops (sample scans, spectra, statistics) need the vectoriser,
# which -O2 runs only with its very-cheap cost model.  No -ffast-math:
# results must be reproducible and NaN checks must work.
PG_CFLAGS   = -O3 -Wall -Wextra -Werror -MMD -MP
SHLIB_LINK  = $(PKG_LIBS) -lm

EXTRA_CLEAN = $(UNIT_TESTS) $(BENCHES) test/tmp_check $(OBJS:.o=.d)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Rebuild objects when a header they include changes.
-include $(OBJS:.o=.d)

-include test/fuzz/fuzz.mk

$(DATA_built): $(INSTALL_PARTS) Makefile
	cat $(INSTALL_PARTS) > $@

# ---- C unit tests of the core (TAP output, run with prove) ----
UNIT_TESTS  = $(patsubst %.c,%,$(sort $(wildcard test/unit/test_*.c)))
UNIT_CFLAGS = -O3 -g -std=gnu11 -Wall -Wextra -Werror -Isrc -Itest/unit $(PKG_CFLAGS)

test/unit/%: test/unit/%.c test/unit/unit.h $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) -lm

.PHONY: unittest check-core-purity bench
unittest: check-core-purity $(UNIT_TESTS)
	prove -v --exec '' $(UNIT_TESTS)

# The core must not depend on PostgreSQL: no server header anywhere in it.
check-core-purity:
	@! grep -nE '#include +[<"](postgres|fmgr|utils/|catalog/|access/|funcapi)' $(CORE_SRCS) $(CORE_HDRS) \
	  || { echo "error: a core file includes a PostgreSQL header"; exit 1; }

# ---- Benchmarks (not tests): core-only medians, then the same work in SQL ----
BENCH_CPU ?= 0
BENCHES = $(patsubst %.c,%,$(sort $(wildcard test/bench/bench_*.c)))

test/bench/%: test/bench/%.c test/bench/bench.h $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -Itest/bench -o $@ $< $(CORE_OBJS) $(PKG_LIBS) -lm

# ---- The cross-validation behind the model card's ablations (minutes per network; not a test) ----
test/eval/%: test/eval/%.c $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) -lm

.PHONY: bench
bench: $(BENCHES)
	@for b in $(BENCHES); do OPENBLAS_NUM_THREADS=1 taskset -c $(BENCH_CPU) $$b || exit 1; echo; done
	@bash test/bench/bench_sql.sh
