/*
 * runtime.c — status codes, error reports, allocation hooks and cooperative
 * cancellation shared by every module of the ser core.  See runtime.h.
 */
#include "common/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SerAllocFn alloc_hook = malloc;
static SerFreeFn free_hook = free;
static SerInterruptFn interrupt_hook = NULL;

static void format_into(char *buf, const char *fmt, va_list ap)
			__attribute__((format(printf, 2, 0)));

static void
format_into(char *buf, const char *fmt, va_list ap)
{
	vsnprintf(buf, SER_ERROR_TEXT, fmt, ap);
}

SerStatus
ser_error(SerError *err, SerStatus status, const char *fmt,...)
{
	if (err != NULL)
	{
		va_list		ap;

		err->status = status;
		va_start(ap, fmt);
		format_into(err->message, fmt, ap);
		va_end(ap);
		err->detail[0] = '\0';
		err->hint[0] = '\0';
	}
	return status;
}

void
ser_error_detail(SerError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	format_into(err->detail, fmt, ap);
	va_end(ap);
}

void
ser_error_hint(SerError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	format_into(err->hint, fmt, ap);
	va_end(ap);
}

void
ser_error_clear(SerError *err)
{
	if (err == NULL)
		return;
	err->status = SER_OK;
	err->message[0] = err->detail[0] = err->hint[0] = '\0';
}

const char *
ser_status_name(SerStatus status)
{
	switch (status)
	{
		case SER_OK:
			return "ok";
		case SER_ENOMEM:
			return "out of memory";
		case SER_EINVAL:
			return "invalid parameter";
		case SER_EFORMAT:
			return "unrecognised format";
		case SER_EUNSUPPORTED:
			return "unsupported format";
		case SER_ECORRUPT:
			return "corrupt data";
		case SER_ENONFINITE:
			return "non-finite data";
		case SER_ETOOLONG:
			return "limit exceeded";
		case SER_ECANCELED:
			return "canceled";
		case SER_EINTERNAL:
			return "internal error";
	}
	return "unknown status";
}

void
ser_set_allocator(SerAllocFn alloc_fn, SerFreeFn free_fn)
{
	alloc_hook = alloc_fn ? alloc_fn : malloc;
	free_hook = free_fn ? free_fn : free;
}

void *
ser_malloc(size_t size)
{
	return alloc_hook(size == 0 ? 1 : size);
}

void *
ser_malloc_array(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	return ser_malloc(count * size);
}

void *
ser_calloc(size_t count, size_t size)
{
	void	   *p = ser_malloc_array(count, size);

	if (p != NULL)
		memset(p, 0, count * size);
	return p;
}

void
ser_free(void *ptr)
{
	if (ptr != NULL)
		free_hook(ptr);
}

void
ser_set_interrupt_check(SerInterruptFn fn)
{
	interrupt_hook = fn;
}

bool
ser_interrupted(void)
{
	return interrupt_hook != NULL && interrupt_hook();
}
