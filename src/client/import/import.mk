# ser-import: the client program that loads audio files into a table
# (src/client/import).  Included from the Makefile after PGXS; built by
# `make`, installed by `make install` into PostgreSQL's bindir beside psql.
# It links the core's decoder (to validate files as ser_audio_info() would),
# its RAVDESS naming, libpq and OpenSSL's libcrypto (SHA-256).

SER_IMPORT      = src/client/import/ser-import
SER_IMPORT_SRCS = $(sort $(wildcard src/client/import/*.c))
SER_IMPORT_OBJS = $(SER_IMPORT_SRCS:.c=.o)
SER_IMPORT_CORE = src/common/runtime.o src/audio/decode.o src/audio/flac.o src/audio/resample.o src/dataset/ravdess.o
SER_IMPORT_CFLAGS = -O2 -g -std=gnu11 $(WARNING_FLAGS) -Wmissing-prototypes -MMD -MP \
	-DSER_VERSION='"$(EXTVERSION)"' -I$(srcdir)/src -I$(shell $(PG_CONFIG) --includedir) \
	$(shell pkg-config --cflags sndfile flac vorbis ogg soxr libcrypto)
SER_IMPORT_LIBS = -L$(shell $(PG_CONFIG) --libdir) -lpq $(shell pkg-config --libs sndfile flac vorbis ogg soxr libcrypto) -lpthread -lm

all: $(SER_IMPORT)

src/client/import/%.o: src/client/import/%.c
	$(CC) $(SER_IMPORT_CFLAGS) -c -o $@ $<

# The version is compiled in: rebuild when the Makefile changes it.
src/client/import/ser_import.o: Makefile

$(SER_IMPORT): $(SER_IMPORT_OBJS) $(SER_IMPORT_CORE)
	$(CC) -o $@ $^ $(SER_IMPORT_LIBS)

install: install-ser-import
.PHONY: install-ser-import uninstall-ser-import
install-ser-import: $(SER_IMPORT)
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) $(SER_IMPORT) '$(DESTDIR)$(bindir)/ser-import'

uninstall: uninstall-ser-import
uninstall-ser-import:
	rm -f '$(DESTDIR)$(bindir)/ser-import'

EXTRA_CLEAN += $(SER_IMPORT) $(SER_IMPORT_OBJS) $(SER_IMPORT_OBJS:.o=.d)
-include $(SER_IMPORT_OBJS:.o=.d)

# Unit test of the parts that need no server (sniff, metadata, hashset);
# `make unittest` runs it with the core's tests.
test/unit/test_import: test/unit/test_import.c test/unit/unit.h src/client/import/sniff.o \
		src/client/import/metadata.o src/client/import/hashset.o $(CORE_OBJS)
	$(CC) $(UNIT_CFLAGS) -o $@ $< src/client/import/sniff.o src/client/import/metadata.o \
		src/client/import/hashset.o $(CORE_OBJS) $(PKG_LIBS) -lpthread -lm
# ... and its sanitized build (make SANITIZE=1 unittest), from the same parts.
SER_IMPORT_TESTED = src/client/import/sniff.o src/client/import/metadata.o src/client/import/hashset.o
$(SANITIZE_DIR)/test/unit/test_import: test/unit/test_import.c test/unit/unit.h \
		$(addprefix $(SANITIZE_DIR)/,$(SER_IMPORT_TESTED)) $(SANITIZE_CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SANITIZE_CFLAGS) -o $@ $< $(addprefix $(SANITIZE_DIR)/,$(SER_IMPORT_TESTED)) $(SANITIZE_CORE_OBJS) \
		$(PKG_LIBS) -lpthread -lm
