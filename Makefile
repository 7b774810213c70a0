# ser — speech emotion recognition inside PostgreSQL (PGXS build)

EXTENSION  = ser
EXTVERSION = 0.2.0

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
# (sql/install/NN_area.sql).  The update from 0.1.0 is assembled from what
# was written for it (sql/upgrade/) and the parts that only add objects or
# replace them with CREATE OR REPLACE, so both run the same definitions;
# 0.1.0's own install script is kept (sql/ser--0.1.0.sql) for the update test.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
UPDATE_0_1_0_PARTS = sql/upgrade/$(EXTENSION)--0.1.0--0.2.0.sql sql/install/42_training.sql sql/install/43_prediction.sql \
                     sql/install/45_privileges.sql sql/install/50_presentation.sql sql/install/60_distributed.sql
DATA_built    = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--0.1.0--0.2.0.sql
DATA          = $(wildcard model/ser_default.sermodel) sql/$(EXTENSION)--0.1.0.sql

# Regression tests in pgvector's layout: test/sql/NAME.sql, expected output
# test/expected/NAME.out, results in test/results/.  One concern each, and
# each creates what it needs (test/sql/include/setup.psql), so any one runs
# alone: make installcheck REGRESS=model_predict.
REGRESS_AUDIO    = audio_info audio_decode audio_errors audio_limits audio_findings
REGRESS_FEATURES = features_names features_values features_frames features_melspectrogram features_mfcc features_pitch features_errors features_deterministic features_params
REGRESS_DATASET  = dataset_parse dataset_load dataset_stats
REGRESS_MODEL    = model_train model_evaluate model_predict model_cache model_default model_golden model_profile model_speech
REGRESS_PRESENTATION = presentation
REGRESS_SCALE    = distributed
REGRESS = $(REGRESS_AUDIO) $(REGRESS_FEATURES) $(REGRESS_DATASET) $(REGRESS_MODEL) $(REGRESS_PRESENTATION) $(REGRESS_SCALE) catalog
REGRESS_OPTS = --inputdir=test --outputdir=test

LIBS_PKG    = sndfile flac vorbis ogg fftw3f openblas soxr
PKG_CFLAGS := $(shell pkg-config --cflags $(LIBS_PKG))
PKG_LIBS   := $(shell pkg-config --libs $(LIBS_PKG))

# ---- Build options (make VAR=value; a change rebuilds what it affects) ----
# OPTFLAGS: -O3 by default because the DSP loops (sample scans, spectra,
# statistics) need the vectoriser, which -O2 runs only with its very-cheap
# cost model.  No -ffast-math: results must be reproducible and NaN checks
# must work.
OPTFLAGS ?= -O3
# WERROR=1 turns warnings into errors (CI: test/run_all.sh sets it); a
# user's build with another compiler only warns.
WERROR   ?= 0
# ASSERTS=1 compiles the fmgr layer with PostgreSQL's Assert() active
# (USE_ASSERT_CHECKING), also against a server built without assertions.
ASSERTS  ?= 0
WARNING_FLAGS = -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
ASSERT_FLAGS  = $(if $(filter 1,$(ASSERTS)),-DUSE_ASSERT_CHECKING)

# PostgreSQL's headers as system headers: -Wextra then judges our code only
# (the server headers trip -Wunused-parameter and -Wsign-compare).
PG_CPPFLAGS = -I$(srcdir)/src $(PKG_CFLAGS) $(ASSERT_FLAGS) -isystem $(shell $(PG_CONFIG) --includedir-server) \
              -DSER_VERSION='"$(EXTVERSION)"'
PG_CFLAGS   = $(OPTFLAGS) $(WARNING_FLAGS) -MMD -MP
SHLIB_LINK  = $(PKG_LIBS) -lm

EXTRA_CLEAN = $(UNIT_TESTS) $(BENCHES) $(EVAL_PROGRAMS) build test/tmp_check tmp_check test/results \
              test/regression.diffs test/regression.out $(OBJS:.o=.d) .build-options

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Rebuild objects when a header they include changes.
-include $(OBJS:.o=.d)

# ... and when the options that change the code do: .build-options holds
# the last ones used, rewritten (and so newer than the objects) only when
# they differ, so an assert build never lingers under a plain `make`.
BUILD_OPTIONS = $(OPTFLAGS) $(ASSERT_FLAGS)
.build-options: FORCE
	@echo '$(BUILD_OPTIONS)' | cmp -s - $@ || echo '$(BUILD_OPTIONS)' > $@
$(OBJS): .build-options
.PHONY: FORCE


# A database owner can make ser's GUCs exist from the start of every session
# (SHOW ser.max_duration before any ser function ran) with
# ALTER DATABASE db SET local_preload_libraries = 'ser', which loads only
# from $libdir/plugins: the library is linked there (one file, loaded once).
install: install-plugin-link
.PHONY: install-plugin-link
install-plugin-link:
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)/plugins'
	ln -sf ../$(MODULE_big)$(DLSUFFIX) '$(DESTDIR)$(pkglibdir)/plugins/$(MODULE_big)$(DLSUFFIX)'
uninstall: uninstall-plugin-link
.PHONY: uninstall-plugin-link
uninstall-plugin-link:
	rm -f '$(DESTDIR)$(pkglibdir)/plugins/$(MODULE_big)$(DLSUFFIX)'

# The web pages (ser-web), a client program installed into PostgreSQL's bindir.
include src/client/web/web.mk

-include test/fuzz/fuzz.mk

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS) Makefile
	cat $(INSTALL_PARTS) > $@

sql/$(EXTENSION)--0.1.0--0.2.0.sql: $(UPDATE_0_1_0_PARTS) Makefile
	cat $(UPDATE_0_1_0_PARTS) > $@

# ---- C unit tests of the core (TAP output, run with prove) ----
# make unittest runs them on the core built as for the extension;
# make SANITIZE=1 unittest rebuilds the core and the tests apart, in
# build/sanitize/, with AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer, any report failing the test;
# make valgrind-unittest runs the plain build under valgrind's memcheck.
UNIT_SRCS   = $(sort $(wildcard test/unit/test_*.c))
UNIT_TESTS  = $(UNIT_SRCS:.c=)
UNIT_CFLAGS = $(OPTFLAGS) -g -std=gnu11 $(WARNING_FLAGS) -Isrc -Itest/unit $(PKG_CFLAGS)

test/unit/%: test/unit/%.c test/unit/unit.h $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) -lm

SANITIZE_DIR   = build/sanitize
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Known leaks inside libraries, not ser (see the file).
SANITIZE_ENV   = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
                 LSAN_OPTIONS=suppressions=$(CURDIR)/test/unit/lsan.supp:print_suppressions=0 \
                 UBSAN_OPTIONS=print_stacktrace=1 OPENBLAS_NUM_THREADS=1
SANITIZE_CORE_OBJS = $(patsubst %.c,$(SANITIZE_DIR)/%.o,$(CORE_SRCS))
SANITIZE_TESTS     = $(patsubst %.c,$(SANITIZE_DIR)/%,$(UNIT_SRCS))
# -O1: fast enough, and keeps the stack traces readable.  GCC's
# -Wformat-truncation looks at the instrumented code and sees truncations
# the plain build does not (network.c's "corrupt model: %s"): a warning
# here, not an error; the plain build judges warnings.
SANITIZE_CFLAGS    = -O1 -g -std=gnu11 $(WARNING_FLAGS) -Wno-error=format-truncation $(SANITIZE_FLAGS) \
                     -Isrc -Itest/unit $(PKG_CFLAGS)

$(SANITIZE_DIR)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(SANITIZE_CFLAGS) -MMD -MP -c -o $@ $<
$(SANITIZE_DIR)/test/unit/%: test/unit/%.c test/unit/unit.h $(SANITIZE_CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANITIZE_CFLAGS) -o $@ $< $(SANITIZE_CORE_OBJS) $(PKG_LIBS) -lm
-include $(SANITIZE_CORE_OBJS:.o=.d)

# A unit test that shares an evaluation program's header (the format variants).
test/unit/test_format_agreement $(SANITIZE_DIR)/test/unit/test_format_agreement: test/eval/format_variants.h

# ser-import (after the test builds' variables: its unit test is built in both)
include src/client/import/import.mk

.PHONY: unittest valgrind-unittest check-core-purity
ifeq ($(SANITIZE),1)
unittest: check-core-purity $(SANITIZE_TESTS)
	$(SANITIZE_ENV) prove -v --exec '' $(SANITIZE_TESTS)
else
unittest: check-core-purity $(UNIT_TESTS)
	prove -v --exec '' $(UNIT_TESTS)
endif

# memcheck on the plain build (valgrind and ASan do not mix); minutes
# (test_decode alone takes 1.5), so not part of test/run_all.sh.  A definite
# leak or any error fails the test.  UNIT_TESTS=test/unit/test_decode runs one.
VALGRIND = valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind-unittest: check-core-purity $(UNIT_TESTS)
	OPENBLAS_NUM_THREADS=1 prove -v --exec '$(VALGRIND)' $(UNIT_TESTS)

# The core must not depend on PostgreSQL: no server header anywhere in it.
check-core-purity:
	@! grep -nE '#include +[<"](postgres|fmgr|utils/|catalog/|access/|funcapi)' $(CORE_SRCS) $(CORE_HDRS) \
	  || { echo "error: a core file includes a PostgreSQL header"; exit 1; }

# ---- TAP tests (PostgreSQL::Test::Cluster) of the installed extension ----
# make prove_installcheck [PROVE_TESTS='test/t/040_model_cluster.pl ...'];
# prove is given the .pl files by name (given a folder it looks for *.t
# only, and passes having run nothing).  initdb refuses root: run as an
# ordinary user (test/run_all.sh runs them as postgres).
PROVE_FLAGS += -I test/perl
.PHONY: prove_installcheck
prove_installcheck:
	@[ "$$(id -u)" != 0 ] || { echo "error: TAP tests cannot run as root (initdb refuses it); run them as another user, e.g. runuser -u postgres -- make prove_installcheck"; exit 1; }
	rm -rf '$(CURDIR)'/tmp_check
	$(MKDIR_P) '$(CURDIR)'/tmp_check
	cd $(srcdir) && TESTDIR='$(CURDIR)' PATH="$(bindir):$$PATH" \
	   PG_REGRESS='$(top_builddir)/src/test/regress/pg_regress' \
	   $(PROVE) $(PG_PROVE_FLAGS) $(PROVE_FLAGS) $(if $(PROVE_TESTS),$(PROVE_TESTS),test/t/*.pl)

# ---- Formatting: pgindent's layout, by pg_bsd_indent (apt: pg-bsd-indent) ----
# make indent formats the C files with uncommitted changes, or the files
# named by INDENT_FILES; it never reformats the whole tree at once.  The
# options are pgindent's but for the code's lines of up to 100 columns
# (-l100) and block comments kept as written (-nfcb).  Type names:
# src/tools/indent_typedefs.list (other libraries') and ser's own,
# collected from the sources.  Debian 12's pg_bsd_indent (2.1.1) puts a
# space, not a tab, before a trailing comment past its column: keep the tab.
INDENT_FILES ?= $(shell git diff --name-only --diff-filter=AMR HEAD -- '*.c' '*.h' 2>/dev/null)
INDENT_OPTS   = -bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l100 -nfcb -lp -lpl -nip -npro \
                -sac -tpg -ts4
.PHONY: indent
indent:
	@command -v pg_bsd_indent >/dev/null || { echo "error: pg_bsd_indent not found; install it (apt-get install pg-bsd-indent)"; exit 1; }
	@mkdir -p build
	@{ grep -v '^#' src/tools/indent_typedefs.list; \
	   sed -nE -e 's/^\} *([A-Za-z_][A-Za-z0-9_]*);.*/\1/p' \
	           -e 's/^typedef .*\(\*([A-Za-z_][A-Za-z0-9_]*)\).*/\1/p' \
	           -e 's/^typedef [^(]*[ *]([A-Za-z_][A-Za-z0-9_]*)( __attribute__.*)?;$$/\1/p' \
	      $(sort $(wildcard src/*/*.[ch] test/*/*.[ch])); } | sort -u > build/typedefs.list
	@$(if $(strip $(INDENT_FILES)),for f in $(INDENT_FILES); do \
	    pg_bsd_indent $(INDENT_OPTS) -Ubuild/typedefs.list $$f $$f.indented && mv $$f.indented $$f || exit 1; done, \
	  echo "indent: no changed C file (name some with INDENT_FILES=...)")

# ---- Benchmarks (not tests): core-only medians, then the same work in SQL ----
BENCH_CPU ?= 0
BENCHES = $(patsubst %.c,%,$(sort $(wildcard test/bench/bench_*.c)))

# test/bench/peers_ser: ser's half of bench_peers.sh (run by it, with the clips as arguments)
test/bench/%: test/bench/%.c test/bench/bench.h $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -Itest/bench -o $@ $< $(CORE_OBJS) $(PKG_LIBS) -lm

# ---- The cross-validation behind the model card's ablations (minutes per network; not a test) ----
test/eval/%: test/eval/%.c $(wildcard test/eval/*.h) $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) -lm

# Built (not run) by the test command, so a change of the core's interface
# cannot leave them broken unnoticed.
EVAL_PROGRAMS = $(patsubst %.c,%,$(sort $(wildcard test/eval/*.c)))
.PHONY: eval-programs
eval-programs: $(EVAL_PROGRAMS)

.PHONY: bench
bench: $(BENCHES)
	@for b in $(BENCHES); do OPENBLAS_NUM_THREADS=1 taskset -c $(BENCH_CPU) $$b || exit 1; echo; done
	@bash test/bench/bench_sql.sh
	@bash test/bench/bench_peers.sh
EXTRA_CLEAN += test/bench/peers_ser
