/*
 * fft.c — per-process cache of FFTW single-precision real transforms.
 * See fft.h.
 */
#include "features/fft.h"

#include <fftw3.h>

/* A handful of sizes per process (the spectral n_fft, the YIN transform size). */
#define FFT_CACHE_SLOTS 8

static SerRealFft fft_cache[FFT_CACHE_SLOTS];
static int	fft_cache_used = 0;

static void
release_partial(float *real, fftwf_complex *cplx, fftwf_plan forward, fftwf_plan inverse)
{
	if (forward)
		fftwf_destroy_plan(forward);
	if (inverse)
		fftwf_destroy_plan(inverse);
	if (real)
		fftwf_free(real);
	if (cplx)
		fftwf_free(cplx);
}

SerStatus
ser_real_fft_get(int n, SerRealFft **fft, SerError *err)
{
	float	   *real;
	fftwf_complex *cplx;
	fftwf_plan	forward;
	fftwf_plan	inverse;
	SerRealFft *slot;

	for (int i = 0; i < fft_cache_used; i++)
		if (fft_cache[i].size == n)
		{
			*fft = &fft_cache[i];
			return SER_OK;
		}
	if (n < 2 || n % 2 != 0)
		return ser_error(err, SER_EINTERNAL, "invalid FFT size %d", n);
	if (fft_cache_used == FFT_CACHE_SLOTS)
	{
		ser_error(err, SER_EINTERNAL, "too many distinct FFT sizes in one process");
		ser_error_detail(err, "At most %d sizes are cached.", FFT_CACHE_SLOTS);
		return SER_EINTERNAL;
	}

	real = fftwf_alloc_real((size_t) n);
	cplx = fftwf_alloc_complex((size_t) n / 2 + 1);
	if (real == NULL || cplx == NULL)
	{
		release_partial(real, cplx, NULL, NULL);
		return ser_error(err, SER_ENOMEM, "out of memory for an FFT of size %d", n);
	}
	/* FFTW_ESTIMATE leaves the arrays untouched and gives the same plan every time. */
	forward = fftwf_plan_dft_r2c_1d(n, real, cplx, FFTW_ESTIMATE);
	inverse = fftwf_plan_dft_c2r_1d(n, cplx, real, FFTW_ESTIMATE);
	if (forward == NULL || inverse == NULL)
	{
		release_partial(real, cplx, forward, inverse);
		return ser_error(err, SER_EINTERNAL, "could not plan an FFT of size %d", n);
	}
	slot = &fft_cache[fft_cache_used++];
	slot->size = n;
	slot->real = real;
	slot->complex = (float *) cplx;
	slot->forward = forward;
	slot->inverse = inverse;
	*fft = slot;
	return SER_OK;
}

void
ser_real_fft_forward(SerRealFft *fft)
{
	fftwf_execute((fftwf_plan) fft->forward);
}

void
ser_real_fft_inverse(SerRealFft *fft)
{
	fftwf_execute((fftwf_plan) fft->inverse);
}
