/*
 * fft.c — per-process cache of single-precision real transforms, each a
 * half-size FFTW complex transform plus a separating pass.  See fft.h.
 *
 * With z[j] = x[2j] + i x[2j+1] (the real signal read as complex) and Z its
 * m-point DFT, m = n/2, the spectra of the even and the odd samples are
 * E[k] = (Z[k] + conj Z[m-k]) / 2 and O[k] = (Z[k] - conj Z[m-k]) / 2i, and
 * X[k] = E[k] + w^k O[k] with w = e^(-2 pi i/n).  Writing s = Z[k] +
 * conj Z[m-k], d = Z[k] - conj Z[m-k] and v = w^k d:
 *     X[k] = (s - i v) / 2,    X[m-k] = conj(s + i v) / 2,
 * so one complex product gives two bins.  The inverse runs the same algebra
 * backwards: with s = X[k] + conj X[m-k], d = X[k] - conj X[m-k] and
 * v = d conj(w^k),  Z'[k] = s + i v  and  Z'[m-k] = conj(s - i v),  and the
 * backward m-point DFT of Z' is n x[2j] + i n x[2j+1].
 *
 * The loops take bins k..k+3 and m-k-3..m-k at a time, four floats per
 * vector operation (the build targets baseline x86-64, where the compiler's
 * own vectoriser does poorly on the mirrored indices).
 */
#include "features/fft.h"
#include "features/vec.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

/*
 * A handful of sizes per process (the spectral n_fft and the YIN transform
 * size of each feature configuration in use).  When a further size is asked
 * for, the least recently used plan is destroyed and its slot reused: a
 * backend that serves models with many feature configurations replans now
 * and then instead of failing (finding F5: a fixed table of 8 sizes refused
 * the 9th size for the rest of the session).  One extraction uses two sizes,
 * far below the number of slots, so a pointer handed out during a call stays
 * valid for that call.
 */
#define FFT_CACHE_SLOTS 8

static SerRealFft fft_cache[FFT_CACHE_SLOTS];
static unsigned long fft_cache_last_use[FFT_CACHE_SLOTS];
static unsigned long fft_cache_clock = 0;

static void
release_partial(SerRealFft *f)
{
	if (f->forward)
		fftwf_destroy_plan((fftwf_plan) f->forward);
	if (f->inverse)
		fftwf_destroy_plan((fftwf_plan) f->inverse);
	fftwf_free(f->real);
	fftwf_free(f->half);
	fftwf_free(f->twiddle_re);
	fftwf_free(f->twiddle_im);
	memset(f, 0, sizeof(*f));
}

SerStatus
ser_real_fft_get(int n, SerRealFft **fft, SerError *err)
{
	SerRealFft	f;
	int			m = n / 2;
	int			victim = 0;

	*fft = NULL;
	for (int i = 0; i < FFT_CACHE_SLOTS; i++)
	{
		if (fft_cache[i].size == n)
		{
			fft_cache_last_use[i] = ++fft_cache_clock;
			*fft = &fft_cache[i];
			return SER_OK;
		}
		/* an empty slot (last use 0) is the first choice, then the least recently used */
		if (fft_cache_last_use[i] < fft_cache_last_use[victim])
			victim = i;
	}
	if (n < 2 || n % 2 != 0)
		return ser_error(err, SER_EINTERNAL, "invalid FFT size %d", n);

	memset(&f, 0, sizeof(f));
	f.size = n;
	f.real = fftwf_alloc_real((size_t) n);
	f.half = (float *) fftwf_alloc_complex((size_t) m);
	f.twiddle_re = fftwf_alloc_real((size_t) m / 2 + 1);
	f.twiddle_im = fftwf_alloc_real((size_t) m / 2 + 1);
	if (f.real == NULL || f.half == NULL || f.twiddle_re == NULL || f.twiddle_im == NULL)
	{
		release_partial(&f);
		return ser_error(err, SER_ENOMEM, "out of memory for an FFT of size %d", n);
	}
	for (int k = 0; k <= m / 2; k++)
	{
		double		angle = 2.0 * M_PI * k / n;

		f.twiddle_re[k] = (float) cos(angle);
		f.twiddle_im[k] = (float) -sin(angle);
	}
	/* FFTW_ESTIMATE leaves the arrays untouched and gives the same plan every time. */
	f.forward = fftwf_plan_dft_1d(m, (fftwf_complex *) f.real, (fftwf_complex *) f.half,
								  FFTW_FORWARD, FFTW_ESTIMATE);
	f.inverse = fftwf_plan_dft_1d(m, (fftwf_complex *) f.half, (fftwf_complex *) f.real,
								  FFTW_BACKWARD, FFTW_ESTIMATE);
	if (f.forward == NULL || f.inverse == NULL)
	{
		release_partial(&f);
		return ser_error(err, SER_EINTERNAL, "could not plan an FFT of size %d", n);
	}
	/* Only now that the new plan exists is the old one given up. */
	if (fft_cache[victim].size != 0)
		release_partial(&fft_cache[victim]);
	fft_cache[victim] = f;
	fft_cache_last_use[victim] = ++fft_cache_clock;
	*fft = &fft_cache[victim];
	return SER_OK;
}

int
ser_real_fft_cached_sizes(void)
{
	int			n = 0;

	for (int i = 0; i < FFT_CACHE_SLOTS; i++)
		n += fft_cache[i].size != 0;
	return n;
}

/*
 * Separate bins k..k+3 (into xr, xi) and m-k..m-k-3 (into yr, yi, lane j
 * holding bin m-k-j) from the half-size spectrum z.  Needs k + 3 < m - k - 3.
 */
static inline void
separate4(const float *z, int m, int k, const float *twr, const float *twi,
		  SerVec4 *xr, SerVec4 *xi, SerVec4 *yr, SerVec4 *yi)
{
	SerVec4		a0 = ser_vec4_load(z + 2 * k),
				a1 = ser_vec4_load(z + 2 * k + 4),
				b0 = ser_vec4_load(z + 2 * (m - k - 3)),
				b1 = ser_vec4_load(z + 2 * (m - k - 1));
	SerVec4		ar = SER_VEC4_SHUFFLE2(a0, a1, 0, 2, 4, 6),
				ai = SER_VEC4_SHUFFLE2(a0, a1, 1, 3, 5, 7),
				cr = SER_VEC4_SHUFFLE2(b1, b0, 2, 0, 6, 4),
				ci = SER_VEC4_SHUFFLE2(b1, b0, 3, 1, 7, 5);
	SerVec4		wr = ser_vec4_load(twr + k),
				wi = ser_vec4_load(twi + k);
	SerVec4		sr = ar + cr,
				si = ai - ci,
				dr = ar - cr,
				di = ai + ci;
	SerVec4		vr = wr * dr - wi * di,
				vi = wr * di + wi * dr;
	const SerVec4	h = {0.5f, 0.5f, 0.5f, 0.5f};

	*xr = h * (sr + vi);
	*xi = h * (si - vr);
	*yr = h * (sr - vi);
	*yi = -(h * (si + vr));
}

/* The same for one pair k, m-k (k <= m - k; when equal both are the same bin). */
static inline void
separate1(const float *z, int m, int k, const float *twr, const float *twi,
		  float *xr, float *xi, float *yr, float *yi)
{
	float		ar = z[2 * k],
				ai = z[2 * k + 1],
				cr = z[2 * (m - k)],
				ci = z[2 * (m - k) + 1];
	float		sr = ar + cr,
				si = ai - ci,
				dr = ar - cr,
				di = ai + ci;
	float		vr = twr[k] * dr - twi[k] * di,
				vi = twr[k] * di + twi[k] * dr;

	*xr = 0.5f * (sr + vi);
	*xi = 0.5f * (si - vr);
	*yr = 0.5f * (sr - vi);
	*yi = -(0.5f * (si + vr));
}

void
ser_real_fft_forward(SerRealFft *fft, float *re, float *im)
{
	int			m = fft->size / 2;
	const float *z = fft->half;
	int			k;

	fftwf_execute((fftwf_plan) fft->forward);
	re[0] = z[0] + z[1];
	im[0] = 0.0f;
	re[m] = z[0] - z[1];
	im[m] = 0.0f;
	for (k = 1; 2 * k + 6 < m; k += 4)
	{
		SerVec4		xr,
					xi,
					yr,
					yi;

		separate4(z, m, k, fft->twiddle_re, fft->twiddle_im, &xr, &xi, &yr, &yi);
		ser_vec4_store(re + k, xr);
		ser_vec4_store(im + k, xi);
		ser_vec4_store(re + m - k - 3, ser_vec4_reverse(yr));
		ser_vec4_store(im + m - k - 3, ser_vec4_reverse(yi));
	}
	for (; k <= m - k; k++)
		separate1(z, m, k, fft->twiddle_re, fft->twiddle_im, &re[k], &im[k], &re[m - k], &im[m - k]);
}

void
ser_real_fft_power(SerRealFft *fft, float *power)
{
	int			m = fft->size / 2;
	const float *z = fft->half;
	int			k;

	fftwf_execute((fftwf_plan) fft->forward);
	power[0] = (z[0] + z[1]) * (z[0] + z[1]);
	power[m] = (z[0] - z[1]) * (z[0] - z[1]);
	for (k = 1; 2 * k + 6 < m; k += 4)
	{
		SerVec4		xr,
					xi,
					yr,
					yi;

		separate4(z, m, k, fft->twiddle_re, fft->twiddle_im, &xr, &xi, &yr, &yi);
		ser_vec4_store(power + k, xr * xr + xi * xi);
		ser_vec4_store(power + m - k - 3, ser_vec4_reverse(yr * yr + yi * yi));
	}
	for (; k <= m - k; k++)
	{
		float		xr,
					xi,
					yr,
					yi;

		separate1(z, m, k, fft->twiddle_re, fft->twiddle_im, &xr, &xi, &yr, &yi);
		power[k] = xr * xr + xi * xi;
		power[m - k] = yr * yr + yi * yi;
	}
}

void
ser_real_fft_inverse(SerRealFft *fft, const float *re, const float *im)
{
	int			m = fft->size / 2;
	float	   *z = fft->half;
	const float *twr = fft->twiddle_re;
	const float *twi = fft->twiddle_im;
	int			k;

	z[0] = re[0] + re[m];
	z[1] = re[0] - re[m];
	for (k = 1; 2 * k + 6 < m; k += 4)
	{
		SerVec4		ar = ser_vec4_load(re + k),
					ai = ser_vec4_load(im + k),
					cr = ser_vec4_reverse(ser_vec4_load(re + m - k - 3)),
					ci = ser_vec4_reverse(ser_vec4_load(im + m - k - 3));
		SerVec4		wr = ser_vec4_load(twr + k),
					wi = ser_vec4_load(twi + k);
		SerVec4		sr = ar + cr,
					si = ai - ci,
					dr = ar - cr,
					di = ai + ci;
		SerVec4		vr = dr * wr + di * wi,
					vi = di * wr - dr * wi;
		SerVec4		pr = sr - vi,	/* Z'[k..k+3] */
					pi = si + vr,
					qr = sr + vi,	/* Z'[m-k-j] = conj(s - i v) */
					qi = vr - si;

		ser_vec4_store(z + 2 * k, SER_VEC4_SHUFFLE2(pr, pi, 0, 4, 1, 5));
		ser_vec4_store(z + 2 * k + 4, SER_VEC4_SHUFFLE2(pr, pi, 2, 6, 3, 7));
		ser_vec4_store(z + 2 * (m - k - 1), SER_VEC4_SHUFFLE2(qr, qi, 1, 5, 0, 4));
		ser_vec4_store(z + 2 * (m - k - 3), SER_VEC4_SHUFFLE2(qr, qi, 3, 7, 2, 6));
	}
	for (; k <= m - k; k++)
	{
		float		ar = re[k],
					ai = im[k],
					cr = re[m - k],
					ci = im[m - k];
		float		sr = ar + cr,
					si = ai - ci,
					dr = ar - cr,
					di = ai + ci;
		float		vr = dr * twr[k] + di * twi[k],
					vi = di * twr[k] - dr * twi[k];

		/* when k == m - k both writes go to the same bin and agree */
		z[2 * (m - k)] = sr + vi;
		z[2 * (m - k) + 1] = vr - si;
		z[2 * k] = sr - vi;
		z[2 * k + 1] = si + vr;
	}
	fftwf_execute((fftwf_plan) fft->inverse);
}
