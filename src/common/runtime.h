/*
 * runtime.h — status codes, error reports, allocation and cancellation for
 * the ser core.
 *
 * The core (src/audio, src/features, src/model, src/dataset) is plain C with
 * no PostgreSQL dependency.  It reports failure by returning a SerStatus and
 * filling a SerError; it never exits, prints or longjmps.  The PostgreSQL
 * layer (src/pg) maps each status to a SQLSTATE.
 *
 * Memory: every allocation the core makes for its own buffers goes through
 * ser_malloc() and friends.  Standalone they are malloc(); inside the server
 * src/pg installs palloc-based hooks, so an ereport anywhere releases them
 * with the memory context.  Memory owned by libraries (libsndfile, libsoxr,
 * FFTW, OpenBLAS) is malloc'd by them and must be released by the core on
 * every path before it returns — that is why the core never calls back into
 * code that can longjmp.  Cancellation is cooperative: long loops call
 * ser_interrupted(), and on true clean up and return SER_ECANCELED; the
 * caller then raises the interrupt (CHECK_FOR_INTERRUPTS in the server).
 */
#ifndef SER_RUNTIME_H
#define SER_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SerStatus
{
	SER_OK = 0,
	SER_ENOMEM,			/* allocation failed */
	SER_EINVAL,			/* a caller-supplied parameter is out of range */
	SER_EFORMAT,		/* input is not in a recognised format */
	SER_EUNSUPPORTED,	/* recognised, but a format or feature ser does not support */
	SER_ECORRUPT,		/* recognised format, malformed or truncated content */
	SER_ENONFINITE,		/* input holds NaN or infinity */
	SER_ETOOLONG,		/* input exceeds a configured limit */
	SER_ECANCELED,		/* ser_interrupted() returned true */
	SER_EINTERNAL		/* a bug or a library failure that cannot be explained to the user */
} SerStatus;

#define SER_ERROR_TEXT 512

typedef struct SerError
{
	SerStatus	status;
	char		message[SER_ERROR_TEXT];	/* lower case, no period (PostgreSQL style) */
	char		detail[SER_ERROR_TEXT];		/* full sentence or empty */
	char		hint[SER_ERROR_TEXT];		/* full sentence or empty */
} SerError;

/* Record a failure: sets status and message, clears detail and hint; returns status. */
SerStatus	ser_error(SerError *err, SerStatus status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
/* Add a detail / hint sentence to the failure already recorded. */
void		ser_error_detail(SerError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
void		ser_error_hint(SerError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
void		ser_error_clear(SerError *err);
const char *ser_status_name(SerStatus status);

/* Allocation (see above).  All return NULL on failure, never abort. */
typedef void *(*SerAllocFn) (size_t size);
typedef void (*SerFreeFn) (void *ptr);
void		ser_set_allocator(SerAllocFn alloc_fn, SerFreeFn free_fn);
void	   *ser_malloc(size_t size);
void	   *ser_calloc(size_t count, size_t size);	/* overflow-checked, zeroed */
void	   *ser_malloc_array(size_t count, size_t size);	/* overflow-checked */
void		ser_free(void *ptr);	/* NULL is fine */

/* Cancellation (see above). */
typedef bool (*SerInterruptFn) (void);
void		ser_set_interrupt_check(SerInterruptFn fn);
bool		ser_interrupted(void);

#endif							/* SER_RUNTIME_H */
