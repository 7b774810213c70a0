# ser-web: the web pages of ser (src/client/web), a client program in C on
# libmicrohttpd and libpq, installed beside PostgreSQL's client programs.
# Included from the Makefile (after PGXS, which defines bindir, CC, libpq).
WEB_SRCS = $(sort $(wildcard src/client/web/*.c))
WEB_OBJS = $(WEB_SRCS:.c=.o)
WEB_PROG = src/client/web/ser-web
WEB_CFLAGS = -O2 -g -std=gnu11 $(WARNING_FLAGS) -MMD -MP \
             -I$(shell $(PG_CONFIG) --includedir) $(shell pkg-config --cflags libmicrohttpd)
WEB_LIBS = -L$(shell $(PG_CONFIG) --libdir) -lpq $(shell pkg-config --libs libmicrohttpd) -lm

all: $(WEB_PROG)

src/client/web/%.o: src/client/web/%.c
	$(CC) $(WEB_CFLAGS) -c -o $@ $<

$(WEB_PROG): $(WEB_OBJS)
	$(CC) -o $@ $(WEB_OBJS) $(WEB_LIBS)

install: install-web
.PHONY: install-web
install-web: $(WEB_PROG)
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) $(WEB_PROG) '$(DESTDIR)$(bindir)/ser-web'

EXTRA_CLEAN += $(WEB_PROG) $(WEB_OBJS) $(WEB_OBJS:.o=.d)
-include $(WEB_OBJS:.o=.d)
