/*
 * unit.h — a minimal TAP producer for the core's C unit tests.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a
 * plan at the end; `make unittest` runs them all with prove.
 */
#ifndef SER_UNIT_H
#define SER_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	unit_count = 0;
static int	unit_failed = 0;

#define UNIT_OK(cond, ...) \
	do { \
		int			unit_pass_ = (cond) ? 1 : 0;	/* evaluated once */ \
		unit_count++; \
		if (unit_pass_) \
			printf("ok %d - ", unit_count); \
		else \
		{ \
			unit_failed++; \
			printf("not ok %d - ", unit_count); \
		} \
		printf(__VA_ARGS__); \
		printf("\n"); \
		if (!unit_pass_) \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		fflush(stdout); \
	} while (0)

#define UNIT_NEAR(a, b, tol, ...) \
	do { \
		double unit_a_ = (a), unit_b_ = (b); \
		UNIT_OK(fabs(unit_a_ - unit_b_) <= (tol), __VA_ARGS__); \
		if (!(fabs(unit_a_ - unit_b_) <= (tol))) \
			printf("#   got %.9g, expected %.9g (tolerance %g)\n", unit_a_, unit_b_, (double) (tol)); \
	} while (0)

#define UNIT_DIAG(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

#define UNIT_SKIP(n, why) \
	do { for (int unit_i_ = 0; unit_i_ < (n); unit_i_++) printf("ok %d # skip %s\n", ++unit_count, why); } while (0)

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed == 0 ? 0 : 1;
}

/*
 * Allocation accounting through the core's allocator hook
 * (ser_set_allocator(counting_alloc, counting_free)): `outstanding` counts
 * core allocations not yet released, so a test can show that a call, or a
 * failing call, leaves nothing behind.
 */
static long outstanding __attribute__((unused)) = 0;
static size_t bytes_now __attribute__((unused)) = 0;
static size_t bytes_peak __attribute__((unused)) = 0;	/* high-water mark of live bytes */

static inline void *
counting_alloc(size_t size)
{
	size_t	   *p = malloc(size + 2 * sizeof(size_t));	/* keeps 16-byte alignment */

	if (p == NULL)
		return NULL;
	p[0] = size;
	outstanding++;
	bytes_now += size;
	if (bytes_now > bytes_peak)
		bytes_peak = bytes_now;
	return p + 2;
}

static inline void
counting_free(void *ptr)
{
	size_t	   *p = (size_t *) ptr - 2;

	outstanding--;
	bytes_now -= p[0];
	free(p);
}

/* Read a whole file into malloc'd memory; returns NULL if absent. */
static inline unsigned char *
unit_read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t) n : 1);
	if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t) n;
	return buf;
}

/* Where ../shared is, if present (tests that need it skip otherwise). */
static inline const char *
unit_shared_dir(void)
{
	const char *env = getenv("SER_SHARED_DIR");
	static const char *const candidates[] = {"../shared", "../../shared", "../../../shared"};
	FILE	   *f;

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
	{
		char		probe[512];

		snprintf(probe, sizeof(probe), "%s/README.md", candidates[i]);
		if ((f = fopen(probe, "r")) != NULL)
		{
			fclose(f);
			return candidates[i];
		}
	}
	return NULL;
}

#endif							/* SER_UNIT_H */
