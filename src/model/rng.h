/*
 * rng.h — the deterministic random number generator of the model code.
 *
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64, written here
 * rather than taken from libc: rand()/random() differ between C libraries
 * and share hidden global state, while training must be bit-reproducible
 * from a seed on one machine and independent of anything else the process
 * does.  The state is a plain struct, so a caller can copy it to replay the
 * same draws (the gradient checks use that to freeze dropout masks).
 */
#ifndef SER_MODEL_RNG_H
#define SER_MODEL_RNG_H

#include <stdint.h>

typedef struct SerRng
{
	uint64_t	s[4];
} SerRng;

/* Seed the state; every seed (0 included) gives a valid, distinct stream. */
void		ser_rng_seed(SerRng *rng, uint64_t seed);
/* Derive an independent stream, e.g. one per epoch, from a parent seed and a tag. */
void		ser_rng_seed_stream(SerRng *rng, uint64_t seed, uint64_t stream);
uint64_t	ser_rng_next(SerRng *rng);
/* Uniform in [0, 1), 24 random bits (exactly representable as float). */
float		ser_rng_uniform(SerRng *rng);
/* Uniform integer in [0, bound), unbiased (rejection); bound 0 returns 0. */
uint32_t	ser_rng_below(SerRng *rng, uint32_t bound);
/* Standard normal (Box–Muller, one value per call). */
float		ser_rng_normal(SerRng *rng);
/* Fisher–Yates shuffle of an int array. */
void		ser_rng_shuffle(SerRng *rng, int *items, int n);

#endif							/* SER_MODEL_RNG_H */
