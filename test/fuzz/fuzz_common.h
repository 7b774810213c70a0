/*
 * fuzz_common.h — what the libFuzzer harnesses share: the core's allocator
 * hooked to count outstanding allocations (a failing call must release
 * everything it took), and an assertion that aborts so libFuzzer keeps the
 * input that broke it.
 */
#ifndef SER_FUZZ_COMMON_H
#define SER_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/runtime.h"

/* Long enough for every seed, short enough that one run stays fast. */
#define FUZZ_MAX_DURATION_S 20.0

static long fuzz_outstanding = 0;

static void *
fuzz_alloc(size_t size)
{
	void	   *p = malloc(size);

	if (p != NULL)
		fuzz_outstanding++;
	return p;
}

static void
fuzz_free(void *p)
{
	fuzz_outstanding--;
	free(p);
}

static inline void
fuzz_setup(void)
{
	static int	done = 0;

	if (!done)
	{
		ser_set_allocator(fuzz_alloc, fuzz_free);
		done = 1;
	}
	fuzz_outstanding = 0;
}

#define FUZZ_ASSERT(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz assertion failed at %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fprintf(stderr, "\n"); \
			abort(); \
		} \
	} while (0)

#endif							/* SER_FUZZ_COMMON_H */
