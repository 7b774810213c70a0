/*
 * vec.h — four floats (or two doubles) operated on together, for the
 * feature loops the compiler does not vectorise by itself (reductions whose
 * order it may not change, mirrored indices, square roots).
 *
 * GCC/Clang vector extensions: SSE on x86-64, NEON on ARM.  Every lane is
 * computed with the same IEEE operations as the scalar code would use, so
 * results do not depend on the vector width; only where a reduction is split
 * into lanes does the summation order differ from a plain loop, and that
 * order is fixed, so results are bit-identical from call to call.
 */
#ifndef SER_FEATURES_VEC_H
#define SER_FEATURES_VEC_H

#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__SSE__)
#include <xmmintrin.h>
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

typedef float SerVec4 __attribute__((vector_size(16)));
typedef int SerVec4i __attribute__((vector_size(16)));
typedef double SerVec2d __attribute__((vector_size(16)));

static inline SerVec4
ser_vec4_load(const float *p)
{
	SerVec4		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
ser_vec4_store(float *p, SerVec4 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline SerVec4
ser_vec4_splat(float x)
{
	return (SerVec4) {x, x, x, x};
}

static inline SerVec4
ser_vec4_reverse(SerVec4 v)
{
	return (SerVec4) {v[3], v[2], v[1], v[0]};
}

/*
 * {a, b}[i], {a, b}[j], {a, b}[k], {a, b}[l], lanes 4..7 being b's: one
 * shuffle instruction or two.  Written as a vector of lanes picked one by
 * one, GCC builds it from scalars through the integer registers.
 */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SER_VEC4_SHUFFLE2(a, b, i, j, k, l) \
	((SerVec4) __builtin_shufflevector((a), (b), (i), (j), (k), (l)))
#else
#define SER_VEC4_SHUFFLE2(a, b, i, j, k, l) \
	((SerVec4) __builtin_shuffle((a), (b), (SerVec4i) {(i), (j), (k), (l)}))
#endif

/* Lane-wise a > b ? a : b and a < b ? a : b (a NaN in a gives b). */
static inline SerVec4
ser_vec4_max(SerVec4 a, SerVec4 b)
{
#if defined(__SSE__)
	/* maxps is exactly this, NaNs included */
	return (SerVec4) _mm_max_ps((__m128) a, (__m128) b);
#else
	SerVec4i	take_a = a > b;
	SerVec4i	ia,
				ib;

	memcpy(&ia, &a, sizeof(ia));
	memcpy(&ib, &b, sizeof(ib));
	ia = (ia & take_a) | (ib & ~take_a);
	memcpy(&a, &ia, sizeof(a));
	return a;
#endif
}

static inline SerVec4
ser_vec4_min(SerVec4 a, SerVec4 b)
{
#if defined(__SSE__)
	/* minps is exactly this, NaNs included */
	return (SerVec4) _mm_min_ps((__m128) a, (__m128) b);
#else
	SerVec4i	take_a = a < b;
	SerVec4i	ia,
				ib;

	memcpy(&ia, &a, sizeof(ia));
	memcpy(&ib, &b, sizeof(ib));
	ia = (ia & take_a) | (ib & ~take_a);
	memcpy(&a, &ia, sizeof(a));
	return a;
#endif
}

/* Whether any lane of a comparison's result is set (movmskps, not lane by lane). */
static inline int
ser_vec4_any(SerVec4i mask)
{
#if defined(__SSE__)
	return _mm_movemask_ps((__m128) mask) != 0;
#else
	return (mask[0] | mask[1] | mask[2] | mask[3]) != 0;
#endif
}

/* Correctly rounded square root of each lane (as sqrtf). */
static inline SerVec4
ser_vec4_sqrt(SerVec4 v)
{
#if defined(__SSE__)
	return (SerVec4) _mm_sqrt_ps((__m128) v);
#elif defined(__ARM_NEON) && defined(__aarch64__)
	return (SerVec4) vsqrtq_f32((float32x4_t) v);
#else
	return (SerVec4) {sqrtf(v[0]), sqrtf(v[1]), sqrtf(v[2]), sqrtf(v[3])};
#endif
}

/* Sum of the lanes in double, in a fixed order. */
static inline double
ser_vec4_sum(SerVec4 v)
{
	return ((double) v[0] + v[1]) + ((double) v[2] + v[3]);
}

/* Lanes 0, 1 and lanes 2, 3 as doubles (cvtps2pd, not lane by lane through the integer registers). */
static inline SerVec2d
ser_vec4_lo_double(SerVec4 v)
{
#if defined(__SSE2__)
	return (SerVec2d) _mm_cvtps_pd((__m128) v);
#else
	return (SerVec2d) {v[0], v[1]};
#endif
}

static inline SerVec2d
ser_vec4_hi_double(SerVec4 v)
{
#if defined(__SSE2__)
	return (SerVec2d) _mm_cvtps_pd(_mm_movehl_ps((__m128) v, (__m128) v));
#else
	return (SerVec2d) {v[2], v[3]};
#endif
}

/*
 * Sum of x[i]^2 for i < len in double (the square of a float is exact
 * there), eight samples a step over four independent accumulators.
 */
static inline double
ser_sum_squares(const float *x, int len)
{
	SerVec2d	e0 = {0, 0},
				e1 = {0, 0},
				e2 = {0, 0},
				e3 = {0, 0};
	double		sum;
	int			i;

	for (i = 0; i + 8 <= len; i += 8)
	{
		SerVec4		v = ser_vec4_load(x + i),
					u = ser_vec4_load(x + i + 4);
		SerVec2d	v_lo = ser_vec4_lo_double(v),
					v_hi = ser_vec4_hi_double(v),
					u_lo = ser_vec4_lo_double(u),
					u_hi = ser_vec4_hi_double(u);

		e0 += v_lo * v_lo;
		e1 += v_hi * v_hi;
		e2 += u_lo * u_lo;
		e3 += u_hi * u_hi;
	}
	e0 += e2;
	e1 += e3;
	sum = (e0[0] + e0[1]) + (e1[0] + e1[1]);
	for (; i < len; i++)
		sum += (double) x[i] * x[i];
	return sum;
}

#endif							/* SER_FEATURES_VEC_H */
