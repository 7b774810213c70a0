/*
 * fft.h — real FFTs of the sizes the features use, planned once per process.
 *
 * FFTW plans are made with FFTW_ESTIMATE (bit-reproducible, no timing runs)
 * the first time a size is asked for, together with their own aligned
 * input and output buffers, and kept for the life of the process: that is a
 * deliberate per-process cache, not a leak, and it makes every later call
 * of the same size cheap and bit-identical.  A caller fills the input
 * buffer, runs the plan and reads the output before the next call of the
 * same size: the buffers are shared by every user of that size.  Not thread
 * safe (neither is the FFTW planner); a PostgreSQL backend is one thread.
 */
#ifndef SER_FEATURES_FFT_H
#define SER_FEATURES_FFT_H

#include "common/runtime.h"

typedef struct SerRealFft
{
	int			size;			/* n real samples, n/2+1 complex bins */
	float	   *real;			/* n floats: r2c input, c2r output */
	float	   *complex;		/* n/2+1 interleaved (re, im) pairs: r2c output, c2r input */
	void	   *forward;		/* fftwf_plan real -> complex */
	void	   *inverse;		/* fftwf_plan complex -> real (unnormalised) */
} SerRealFft;

/* The cached transform pair for size n (even, >= 2); creates it on first use. */
SerStatus	ser_real_fft_get(int n, SerRealFft **fft, SerError *err);

void		ser_real_fft_forward(SerRealFft *fft);	/* real -> complex */
void		ser_real_fft_inverse(SerRealFft *fft);	/* complex -> real, scaled by n */

#endif							/* SER_FEATURES_FFT_H */
