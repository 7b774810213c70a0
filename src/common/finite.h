/*
 * finite.h — whether a block of floats holds no NaN or infinity, tested on
 * the bits so that the compiler vectorises the scan (isfinite() in the loop
 * does not).  A float is not finite when its exponent field is all ones;
 * adding one to that field then carries into the sign bit, so one OR over
 * the block and one test of the sign bit answer for all of it.  Callers
 * look for the offending value one by one only after a failure, to name it.
 */
#ifndef SER_COMMON_FINITE_H
#define SER_COMMON_FINITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool
ser_floats_finite(const float *x, size_t n)
{
	uint32_t	seen = 0;

	for (size_t i = 0; i < n; i++)
	{
		uint32_t	bits;

		memcpy(&bits, &x[i], sizeof(bits));
		seen |= (bits & 0x7f800000u) + 0x00800000u;
	}
	return (seen & 0x80000000u) == 0;
}

#endif							/* SER_COMMON_FINITE_H */
