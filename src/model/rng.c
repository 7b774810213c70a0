/*
 * rng.c — xoshiro256** with splitmix64 seeding.  See rng.h.
 *
 * Only integer arithmetic and a fixed sequence of float operations are used,
 * so a seed gives the same stream on every run of the same binary.
 */
#include "model/rng.h"

#include <math.h>

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
ser_rng_seed(SerRng *rng, uint64_t seed)
{
	uint64_t	x = seed;

	/* splitmix64 never yields four zero words in a row, the one bad xoshiro state */
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

void
ser_rng_seed_stream(SerRng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t	x = seed ^ UINT64_C(0xD1B54A32D192ED03);
	uint64_t	mixed = splitmix64(&x) ^ (stream * UINT64_C(0x9E3779B97F4A7C15));

	ser_rng_seed(rng, mixed);
}

uint64_t
ser_rng_next(SerRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

float
ser_rng_uniform(SerRng *rng)
{
	return (float) (ser_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

uint32_t
ser_rng_below(SerRng *rng, uint32_t bound)
{
	uint32_t	threshold;

	if (bound == 0)
		return 0;
	/* reject the low values that would make some residues more likely */
	threshold = (uint32_t) (-bound) % bound;
	for (;;)
	{
		uint32_t	r = (uint32_t) (ser_rng_next(rng) >> 32);

		if (r >= threshold)
			return r % bound;
	}
}

float
ser_rng_normal(SerRng *rng)
{
	/* u1 in (0, 1] so the logarithm is finite */
	double		u1 = ((double) (ser_rng_next(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
	double		u2 = (double) (ser_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);

	return (float) (sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void
ser_rng_shuffle(SerRng *rng, int *items, int n)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) ser_rng_below(rng, (uint32_t) i + 1);
		int			tmp = items[i];

		items[i] = items[j];
		items[j] = tmp;
	}
}
