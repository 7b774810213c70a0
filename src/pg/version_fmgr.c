/*
 * version_fmgr.c — ser_version(): the version of the loaded library.
 *
 * EXTVERSION of the Makefile, compiled in, so that a model row records the
 * code that trained it (ser_models.ser_version defaults to this) even when
 * the installed SQL objects are of an older version.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "pg/ser_pg.h"

#ifndef SER_VERSION
#error "SER_VERSION must be defined by the build"
#endif

PG_FUNCTION_INFO_V1(ser_version);

Datum
ser_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(SER_VERSION));
}
