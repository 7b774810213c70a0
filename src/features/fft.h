/*
 * fft.h — real FFTs of the sizes the features use, planned once per process.
 *
 * A real transform of even size n is computed as a complex FFT of size n/2
 * (even samples as real parts, odd samples as imaginary parts) plus one
 * pass that separates the two halves with the twiddles e^(-2 pi i k/n),
 * bins k and n/2-k together.  This is the textbook packing FFTW's own r2c
 * uses, but FFTW_ESTIMATE picks slow r2c plans on the project's machine
 * while its complex plans are fast: a 512-point real transform takes about
 * 0.55 us through fftwf_plan_dft_r2c_1d and about 0.25 us this way.  The
 * spectrum comes out split (real parts, imaginary parts), the layout the
 * callers' vector loops want, or directly as the power spectrum.
 *
 * FFTW plans are made with FFTW_ESTIMATE (bit-reproducible, no timing runs)
 * the first time a size is asked for, together with their own aligned
 * buffers, and kept in a small per-process cache: that is deliberate, not a
 * leak, and it makes every later call of the same size cheap and
 * bit-identical.  Any number of sizes can be asked for: beyond the cache's
 * slots the least recently used plan is destroyed, so memory stays bounded.
 * A pointer from ser_real_fft_get is therefore valid only until several
 * other sizes have been asked for: callers ask again at the start of each
 * call rather than keeping it.  A caller fills `real`, runs a transform and
 * reads its output before the next call of the same size: the buffers are
 * shared by every user of that size.  Not thread safe (neither is the FFTW
 * planner); a PostgreSQL backend is one thread.
 */
#ifndef SER_FEATURES_FFT_H
#define SER_FEATURES_FFT_H

#include "common/runtime.h"

typedef struct SerRealFft
{
	int			size;			/* n real samples, n/2+1 complex bins */
	float	   *real;			/* n floats: forward input, inverse output */
	float	   *half;			/* n/2 interleaved complex: the half-size transform's output / input */
	float	   *twiddle_re;		/* n/4+1: cos(2 pi k / n) */
	float	   *twiddle_im;		/* n/4+1: -sin(2 pi k / n) */
	void	   *forward;		/* fftwf_plan, complex n/2 forward: real -> half */
	void	   *inverse;		/* fftwf_plan, complex n/2 backward: half -> real */
} SerRealFft;

/*
 * The cached transform for size n (even, >= 2); plans it on first use,
 * replacing the least recently used size when the cache is full.
 */
SerStatus	ser_real_fft_get(int n, SerRealFft **fft, SerError *err);

/* How many sizes are planned at the moment (for tests: it never exceeds the cache's slots). */
int			ser_real_fft_cached_sizes(void);

/*
 * X[k] = sum_j real[j] e^(-2 pi i j k / n) for k = 0..n/2, into re[] and
 * im[] (n/2+1 floats each).  real is left as it was.
 */
void		ser_real_fft_forward(SerRealFft *fft, float *re, float *im);

/* |X[k]|^2 for k = 0..n/2 into power[]. */
void		ser_real_fft_power(SerRealFft *fft, float *power);

/*
 * The inverse of a Hermitian spectrum given as re[], im[] (k = 0..n/2; the
 * imaginary parts of bins 0 and n/2 are ignored) into real[], unnormalised:
 * n times the signal, like FFTW's c2r.
 */
void		ser_real_fft_inverse(SerRealFft *fft, const float *re, const float *im);

#endif							/* SER_FEATURES_FFT_H */
