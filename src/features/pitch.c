/*
 * pitch.c — YIN by FFT autocorrelation, voicing and frame-level voice
 * quality.  See pitch.h for the definitions; this file is about computing
 * them fast.
 *
 * YIN needs, for every frame, the autocorrelation r(tau) of its L samples
 * (zeros past the frame's end) at the lags tau = 0..P.  One FFT pair of
 * size >= L + P per frame gives it (the direct method), but consecutive
 * frames share all but a hop of their samples, and the block method below
 * shares that work.
 *
 * Block method.  Cut the signal into blocks of one hop (H samples) starting
 * at the first frame's start, so frame t is blocks t..t+nb-1 (nb = L / H)
 * followed by Q_t, the first q = L - nb H samples of block t+nb.  Every pair
 * of samples (i, i') of the frame with 0 <= i' - i <= P is counted once by
 * the sample i: a block j far enough from the frame's end pairs with its
 * segment, blocks j..j+D (D = ceil(P / H)); each of the last D blocks pairs
 * with the rest of the frame; Q pairs with itself.  In the frequency domain,
 * with A the spectra of the pieces placed at their own positions modulo N,
 *     R_t = sum_{j=t}^{t+nb-1-D} conj(A_j) (A_j + ... + A_{j+D})
 *         + sum_{m=1}^{D} conj(A_{t+nb-m}) (A_{t+nb-m} + ... + A_{t+nb-1} + A_Q)
 *         + conj(A_Q) A_Q,
 * and the inverse transform of R_t holds r(tau) at index tau.  The terms
 * also count pairs with i' < i (lags down to -(H-1)) and lags above P (up
 * to (D+1) H - 1); with N >= max((D+1) H, P + H) none of them lands on an
 * index 0..P, so r(0..P) is exact up to round-off.  The products of the
 * first kind depend on blocks only and are made once per block, so a frame
 * costs the transform of one new block, of Q, one inverse transform and a
 * few products of spectra of size N (480 with the defaults, against two
 * transforms of 1536 per frame for the direct method); the one product new
 * with a frame is made in the same pass as the frame's sum.  Frames quieter
 * than voicing_min_rms skip all of it: the gate needs only the energies of
 * the blocks, each summed once, in two parts (its head is an earlier
 * frame's Q).  The method is used when it is the cheaper of the two for the
 * parameters (frames overlapping by at least two hops, not too many hops
 * per frame).
 *
 * The difference function, its normalisation and the period search then
 * run in float, four lags to a vector, in one pass that also keeps what
 * the search needs (see yin_choose).  With the defaults a loud frame costs
 * about 1.4 us on the project's machine: the three 240-point complex FFTs
 * and the real-spectrum passes around them a little over half, the frame's
 * spectrum and YIN's pass a fifth each.
 */
#include "features/pitch.h"
#include "features/fft.h"
#include "features/vec.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* How often the frame loop polls for cancellation. */
#define PITCH_INTERRUPT_EVERY 256

typedef struct YinWork
{
	int			frame_length;	/* L */
	int			hop;			/* H */
	int			min_period;
	int			max_period;		/* P */
	int64_t		first_start;	/* first sample of frame 0 (negative: zero padding) */
	int			fft_size;		/* N */
	int			n_bins;			/* N/2 + 1 */
	int			bin_stride;		/* n_bins rounded up to whole vectors of four */
	bool		use_blocks;		/* the block method, else one transform pair per frame */
	int			n_blocks;		/* nb = L / H */
	int			remainder;		/* q = L - nb H */
	int			reach;			/* D = ceil(P / H) */
	SerRealFft *fft;
	float	   *cmnd;			/* P+4 (whole vectors): d' (lag 0 unused) */
	float	   *inverse_tau;	/* P+4: 1/tau, so the normalisation needs one division, not two */
	float	   *padded;			/* L: a frame running past the signal's ends, with its zeros */
	float	   *acc_re;			/* bin_stride each (n_bins for the direct method): R_t, A_Q */
	float	   *acc_im;
	float	   *q_re;
	float	   *q_im;
	/*
	 * The blocks of the current frame and, with a remainder, the one after
	 * (Q is its head): block j in slot j % n_slots.
	 */
	int			n_slots;
	int64_t    *slot_block;		/* the block a slot holds, -1 for none */
	bool	   *slot_spectrum;	/* its spectrum A_j is computed */
	bool	   *slot_product;	/* its product with its segment is computed */
	double	   *slot_energy;	/* sum of its squared samples */
	double	   *slot_head_energy;	/* the same over its first q samples */
	float	   *block_re;		/* n_slots x bin_stride each */
	float	   *block_im;
	float	   *product_re;
	float	   *product_im;
} YinWork;

static void
yin_work_free(YinWork *w)
{
	ser_free(w->cmnd);
	ser_free(w->inverse_tau);
	ser_free(w->padded);
	ser_free(w->acc_re);
	ser_free(w->acc_im);
	ser_free(w->q_re);
	ser_free(w->q_im);
	ser_free(w->slot_block);
	ser_free(w->slot_spectrum);
	ser_free(w->slot_product);
	ser_free(w->slot_energy);
	ser_free(w->slot_head_energy);
	ser_free(w->block_re);
	ser_free(w->block_im);
	ser_free(w->product_re);
	ser_free(w->product_im);
	memset(w, 0, sizeof(*w));
}

/*
 * Smallest N >= n of the form 2^a or 3 * 2^a: FFTW's fastest transforms on
 * this kind of machine (measured: 1536 beats 1350 and 1440).
 */
static int
fast_fft_size(int n)
{
	int			pow2 = 16;

	while (pow2 < n)
		pow2 *= 2;
	if (pow2 / 4 * 3 >= n)
		return pow2 / 4 * 3;
	return pow2;
}

/*
 * Smallest even N >= n with no prime factor above 5 (the half-size complex
 * transform's sizes FFTW has fast codelets for: 480 for the defaults, whose
 * 240-point transform takes as long as a 256-point one).
 */
static int
smooth_fft_size(int n)
{
	for (int size = n + (n & 1);; size += 2)
	{
		int			rest = size;

		while (rest % 2 == 0)
			rest /= 2;
		while (rest % 3 == 0)
			rest /= 3;
		while (rest % 5 == 0)
			rest /= 5;
		if (rest == 1)
			return size;
	}
}

static SerStatus
yin_work_init(const SerFeatureParams *p, YinWork *w, SerError *err)
{
	SerStatus	status;
	int			L = p->pitch_frame_length;
	int			H = p->hop_length;
	size_t		slots,
				bins;
	bool		failed;

	memset(w, 0, sizeof(*w));
	w->frame_length = L;
	w->hop = H;
	w->min_period = (int) floor(p->sample_rate / p->pitch_fmax);
	w->max_period = (int) ceil(p->sample_rate / p->pitch_fmin);
	if (w->max_period > L - 1)
		w->max_period = L - 1;
	/* Frame t is centred on t*H (plus n_fft/2 when not centring), like the spectral frames. */
	w->first_start = (p->center ? 0 : p->n_fft / 2) - L / 2;

	w->n_blocks = L / H;
	w->remainder = L - w->n_blocks * H;
	w->reach = (w->max_period + H - 1) / H;
	w->fft_size = fast_fft_size(L + w->max_period);
	if (w->n_blocks >= 2 && w->n_blocks <= 64)
	{
		int			block_size = smooth_fft_size((w->reach + 1) * H > w->max_period + H
												 ? (w->reach + 1) * H : w->max_period + H);
		/* transforms per frame times their size, plus the products of spectra */
		double		block_cost = (2.0 + (w->remainder > 0)) * block_size * log2(block_size)
			+ 2.0 * (w->n_blocks + 2 * w->reach) * block_size;
		double		direct_cost = 2.0 * w->fft_size * log2(w->fft_size);

		if (block_cost < direct_cost)
		{
			w->use_blocks = true;
			w->fft_size = block_size;
		}
	}
	w->n_bins = w->fft_size / 2 + 1;
	w->bin_stride = (w->n_bins + 3) & ~3;

	bins = (size_t) w->n_bins;
	w->n_slots = w->n_blocks + (w->remainder > 0);
	slots = w->use_blocks ? (size_t) w->n_slots : 0;
	w->cmnd = ser_malloc_array((size_t) w->max_period + 4, sizeof(float));
	w->inverse_tau = ser_malloc_array((size_t) w->max_period + 4, sizeof(float));
	w->padded = ser_malloc_array((size_t) L, sizeof(float));
	failed = !w->cmnd || !w->inverse_tau || !w->padded;
	if (w->use_blocks)
	{
		/*
		 * Spectra padded to whole vectors, the padding zeroed below and
		 * never written: the frame's sum reads it, the transforms do not.
		 * The rest is written before it is read (products and sums cover
		 * the padding too).
		 */
		size_t		stride = (size_t) w->bin_stride;

		w->acc_re = ser_malloc_array(stride, sizeof(float));
		w->acc_im = ser_malloc_array(stride, sizeof(float));
		w->q_re = ser_malloc_array(stride, sizeof(float));
		w->q_im = ser_malloc_array(stride, sizeof(float));
		w->slot_block = ser_malloc_array(slots, sizeof(int64_t));
		w->slot_spectrum = ser_malloc_array(slots, sizeof(bool));
		w->slot_product = ser_malloc_array(slots, sizeof(bool));
		w->slot_energy = ser_malloc_array(slots, sizeof(double));
		w->slot_head_energy = ser_malloc_array(slots, sizeof(double));
		w->block_re = ser_malloc_array(slots, stride * sizeof(float));
		w->block_im = ser_malloc_array(slots, stride * sizeof(float));
		w->product_re = ser_malloc_array(slots, stride * sizeof(float));
		w->product_im = ser_malloc_array(slots, stride * sizeof(float));
		failed = failed || !w->acc_re || !w->acc_im || !w->q_re
			|| !w->q_im || !w->slot_block || !w->slot_spectrum || !w->slot_product
			|| !w->slot_energy || !w->slot_head_energy || !w->block_re || !w->block_im || !w->product_re || !w->product_im;
		if (!failed)
		{
			size_t		pad = stride - (size_t) w->n_bins;

			memset(w->q_re + w->n_bins, 0, pad * sizeof(float));
			memset(w->q_im + w->n_bins, 0, pad * sizeof(float));
			for (size_t s = 0; s < slots; s++)
			{
				memset(w->block_re + s * stride + w->n_bins, 0, pad * sizeof(float));
				memset(w->block_im + s * stride + w->n_bins, 0, pad * sizeof(float));
			}
		}
	}
	else
	{
		/* the direct method's power spectrum, as (re, im = 0) */
		w->acc_re = ser_malloc_array(bins, sizeof(float));
		w->acc_im = ser_calloc(bins, sizeof(float));
		failed = failed || !w->acc_re || !w->acc_im;
	}
	if (failed)
	{
		yin_work_free(w);
		return ser_error(err, SER_ENOMEM, "out of memory for pitch analysis");
	}
	for (size_t s = 0; s < slots; s++)
		w->slot_block[s] = -1;
	/* 1/tau four at a time (each lane correctly rounded, as one at a time) */
	w->inverse_tau[0] = 0.0f;
	for (int tau = 1; tau <= w->max_period; tau += 4)
	{
		SerVec4		lags = {tau, tau + 1, tau + 2, tau + 3};

		ser_vec4_store(w->inverse_tau + tau, ser_vec4_splat(1.0f) / lags);
	}
	status = ser_real_fft_get(w->fft_size, &w->fft, err);
	if (status != SER_OK)
		yin_work_free(w);
	return status;
}

/* dst[0..len) = pcm[start..start+len) with zeros outside [0, n). */
static void
copy_padded(const float *pcm, size_t n, int64_t start, size_t len, float *dst)
{
	for (size_t i = 0; i < len; i++)
	{
		int64_t		at = start + (int64_t) i;

		dst[i] = (at >= 0 && at < (int64_t) n) ? pcm[at] : 0.0f;
	}
}

/* Samples [start, start+len) of the signal: in place, or copied with zeros into buf. */
static const float *
samples_at(const float *pcm, size_t n, int64_t start, int len, float *buf)
{
	if (start >= 0 && start + len <= (int64_t) n)
		return pcm + start;
	copy_padded(pcm, n, start, (size_t) len, buf);
	return buf;
}

/* Sum of x[i]^2, i < len. */
static inline double
energy_of(const float *x, int len)
{
	return ser_sum_squares(x, len);
}

typedef struct YinResult
{
	double		f0;				/* YIN estimate, Hz */
	double		frame_rms;
	double		autocorr;		/* normalised autocorrelation at the nearest integer period */
	int			interior;		/* the chosen lag is not an end of the search range */
} YinResult;

/* librosa.util.localmin's test at candidate v (lag lo + v) of count, edges as librosa. */
static bool
is_trough(const float *cmnd, int lo, int v, int count)
{
	float		here = cmnd[lo + v];

	if (v == 0)
		return count > 1 && here < cmnd[lo + 1];
	return here < cmnd[lo + v - 1] && (v == count - 1 || here <= cmnd[lo + v + 1]);
}

/* Inclusive prefix sum of the four lanes, plus carry. */
static inline SerVec4
prefix_sum4(SerVec4 v, SerVec4 carry)
{
	const SerVec4 zero = {0, 0, 0, 0};

	v += SER_VEC4_SHUFFLE2(zero, v, 0, 4, 5, 6);
	v += SER_VEC4_SHUFFLE2(zero, v, 0, 1, 4, 5);
	return v + carry;
}

/*
 * d' at lags tau..tau+3: cum(tau) = sum of x[i]^2 for i < tau; d(tau) =
 * 2 (r(0) - r(tau)) - cum(tau), the squared difference of the frame and its
 * shift with zeros past the frame's end; d'(tau) = d(tau) / (mean of
 * d(1..tau) + FLT_MIN).  The running sums are carried from group to group in
 * every lane of *cum and *running.
 */
static inline __attribute__((always_inline)) SerVec4
yin_lags(const float *x, const float *acf, const float *inverse_tau, int tau, float two_r0,
		 float two_scale, SerVec4 *cum, SerVec4 *running)
{
	SerVec4		xs = ser_vec4_load(x + tau - 1);
	SerVec4		c,
				d,
				s;

	c = prefix_sum4(xs * xs, *cum);
	d = ser_vec4_splat(two_r0) - ser_vec4_load(acf + tau) * two_scale - c;
	s = prefix_sum4(d, *running);
	*cum = SER_VEC4_SHUFFLE2(c, c, 3, 3, 3, 3);
	*running = SER_VEC4_SHUFFLE2(s, s, 3, 3, 3, 3);
	return d / (s * ser_vec4_load(inverse_tau + tau) + FLT_MIN);
}

/*
 * YIN on frame x (L samples, energy its sum of squares) given its
 * autocorrelation acf[tau] * scale for tau = 0..P: the difference function,
 * its cumulative-mean normalisation and the period choice, all as librosa
 * 0.11 does them.
 *
 * In single precision, four lags at a time: the autocorrelation is a float
 * transform's output, no more precise than float arithmetic on it, and
 * librosa itself sums the energies in float.  Against YIN in double by the
 * definition (test_features_fast.c) the F0 agree within 2e-7 relative, as
 * they did with this step in double; the voicing measure stays in double.
 */
static void
yin_choose(const SerFeatureParams *p, YinWork *w, const float *x, const float *acf, double scale,
		   double energy, YinResult *res)
{
	int			L = w->frame_length;
	int			P = w->max_period;
	int			lo = w->min_period;
	int			count = P - lo + 1;
	float	   *restrict cmnd = w->cmnd;
	const float *restrict inverse_tau = w->inverse_tau;
	float		threshold = (float) p->pitch_threshold;
	float		scale_f = (float) scale;

	/* 2 (r(0) - r(tau) scale) as 2 r(0) - r(tau) (2 scale): the same floats, doubling is exact */
	float		two_r0 = 2.0f * (acf[0] * scale_f);
	float		two_scale = 2.0f * scale_f;
	SerVec4		cum = {0, 0, 0, 0},
				running = {0, 0, 0, 0},
				lowest4 = ser_vec4_splat(INFINITY);
	SerVec4i	under = {0, 0, 0, 0};
	int			best = -1;
	double		shift = 0.0;
	double		period;
	int			tau;

	/*
	 * Lags tau..tau+3 from lag 1 on (yin_lags): the lags below the group lag
	 * lo falls in are no candidates and their d' is never read; in that
	 * group the lanes below lo are set aside (+inf); then the rest.  On the
	 * way, for the candidates: the lowest value in each lane, and whether
	 * any is under the threshold.  A NaN never compares lower (minps keeps
	 * the other operand), as in a scan keeping the lowest so far.  The last
	 * lags of a range not a multiple of four go one at a time (x and acf
	 * end at the frame's end).
	 */
	for (tau = 1; tau + 3 < lo && tau + 3 <= P; tau += 4)
		(void) yin_lags(x, acf, inverse_tau, tau, two_r0, two_scale, &cum, &running);
	if (tau < lo && tau + 3 <= P)
	{
		SerVec4		here = yin_lags(x, acf, inverse_tau, tau, two_r0, two_scale, &cum, &running);
		SerVec4		lane = {0, 1, 2, 3};
		SerVec4i	candidate = lane >= ser_vec4_splat((float) (lo - tau));
		SerVec4		inf = ser_vec4_splat(INFINITY);
		SerVec4i	h,
					i;

		ser_vec4_store(cmnd + tau, here);
		memcpy(&h, &here, sizeof(h));
		memcpy(&i, &inf, sizeof(i));
		h = (h & candidate) | (i & ~candidate);
		memcpy(&here, &h, sizeof(here));
		lowest4 = ser_vec4_min(here, lowest4);
		under |= here < ser_vec4_splat(threshold);
		tau += 4;
	}
	for (; tau + 3 <= P; tau += 4)
	{
		SerVec4		here = yin_lags(x, acf, inverse_tau, tau, two_r0, two_scale, &cum, &running);

		ser_vec4_store(cmnd + tau, here);
		lowest4 = ser_vec4_min(here, lowest4);
		under |= here < ser_vec4_splat(threshold);
	}
	{
		float		c = cum[0],
					s = running[0];

		for (; tau <= P; tau++)
		{
			float		d;

			c += x[tau - 1] * x[tau - 1];
			d = two_r0 - acf[tau] * two_scale - c;
			s += d;
			cmnd[tau] = d / (s * inverse_tau[tau] + FLT_MIN);
			if (tau < lo)
				continue;
			lowest4[0] = fminf(lowest4[0], cmnd[tau]);
			under[0] |= -(cmnd[tau] < threshold);
		}
	}

	/*
	 * The first local minimum of d' below the threshold
	 * (librosa.util.localmin), when any value is under it: four candidates
	 * at a time, the rare ones under it tested for a trough.
	 */
	if (ser_vec4_any(under))
	{
		int			v;

		for (v = 0; v + 4 <= count && best < 0; v += 4)
		{
			if (!ser_vec4_any(ser_vec4_load(cmnd + lo + v) < ser_vec4_splat(threshold)))
				continue;
			for (int u = v; u < v + 4; u++)
				if (cmnd[lo + u] < threshold && is_trough(cmnd, lo, u, count))
				{
					best = u;
					break;
				}
		}
		for (; v < count && best < 0; v++)
			if (cmnd[lo + v] < threshold && is_trough(cmnd, lo, v, count))
				best = v;
	}

	/* Else the global minimum, its first occurrence (argmin); a NaN at lag lo stays the lowest. */
	if (best < 0)
	{
		float		lowest = fminf(fminf(lowest4[0], lowest4[1]), fminf(lowest4[2], lowest4[3]));
		int			v = 0;

		if (!isnan(cmnd[lo]))
		{
			for (; v + 4 <= count; v += 4)
				if (ser_vec4_any(ser_vec4_load(cmnd + lo + v) == ser_vec4_splat(lowest)))
					break;
			while (cmnd[lo + v] != lowest)
				v++;
		}
		best = v;
	}

	if (best > 0 && best < count - 1)
	{
		double		before = cmnd[lo + best - 1],
					here = cmnd[lo + best],
					after = cmnd[lo + best + 1];
		double		a = after + before - 2.0 * here;
		double		b = (after - before) / 2.0;

		if (fabs(b) < fabs(a))
			shift = -b / a;
	}
	res->interior = best > 0 && best < count - 1;
	period = lo + best + shift;
	res->f0 = p->sample_rate / period;

	{
		int			lag = (int) lround(period);
		double		head,
					tail,
					r;

		if (lag < 1)
			lag = 1;
		if (lag > P)
			lag = P;
		/* energies of the overlapping parts x[0..L-lag) and x[lag..L), in double */
		head = energy - energy_of(x + L - lag, lag);
		tail = energy - energy_of(x, lag);
		r = acf[lag] * scale;
		res->autocorr = (head > 0.0 && tail > 0.0) ? r / sqrt(head * tail) : 0.0;
	}
}

/* Too quiet a frame is unvoiced whatever YIN would say: it is not run. */
static bool
quiet_frame(const SerFeatureParams *p, const YinWork *w, double energy, YinResult *res)
{
	res->frame_rms = sqrt(energy / w->frame_length);
	if (res->frame_rms >= p->voicing_min_rms && energy > 0.0)
		return false;
	res->f0 = 0.0;
	res->interior = 0;
	res->autocorr = 0.0;
	return true;
}

/* The direct method: one transform pair of size >= L + P for the frame starting at start. */
static void
yin_frame_direct(const SerFeatureParams *p, YinWork *w, const float *pcm, size_t n, int64_t start,
				 YinResult *res)
{
	int			L = w->frame_length;
	const float *x = samples_at(pcm, n, start, L, w->padded);
	double		energy = energy_of(x, L);
	float	   *real = w->fft->real;

	if (quiet_frame(p, w, energy, res))
		return;
	memcpy(real, x, (size_t) L * sizeof(float));
	memset(real + L, 0, (size_t) (w->fft_size - L) * sizeof(float));
	/* Autocorrelation = inverse transform of the power spectrum (Wiener-Khinchin). */
	ser_real_fft_power(w->fft, w->acc_re);
	ser_real_fft_inverse(w->fft, w->acc_re, w->acc_im);
	yin_choose(p, w, x, real, 1.0 / w->fft_size, energy, res);
}

/* Block j's slot, claimed for it (and its energy computed) if it holds another block. */
static int
block_slot(YinWork *w, const float *pcm, size_t n, int64_t j)
{
	int			s = (int) (j % w->n_slots);

	if (w->slot_block[s] != j)
	{
		const float *x = samples_at(pcm, n, w->first_start + j * w->hop, w->hop, w->padded);
		int			q = w->remainder;

		w->slot_block[s] = j;
		w->slot_spectrum[s] = false;
		w->slot_product[s] = false;
		/* in two parts: the head is a frame's Q, one frame earlier */
		w->slot_head_energy[s] = energy_of(x, q);
		w->slot_energy[s] = w->slot_head_energy[s] + energy_of(x + q, w->hop - q);
	}
	return s;
}

/*
 * The spectrum of len samples from the signal's sample `start` (zeros
 * outside it), placed at their position relative to the first frame's start,
 * modulo N, into re, im.
 */
static void
piece_spectrum(YinWork *w, const float *pcm, size_t n, int64_t start, int len, float *re, float *im)
{
	int			N = w->fft_size;
	float	   *real = w->fft->real;
	int			at = (int) ((start - w->first_start) % N);
	int			first = len < N - at ? len : N - at;
	const float *x;

	if (start + len <= 0 || start >= (int64_t) n)
	{
		memset(re, 0, (size_t) w->n_bins * sizeof(float));
		memset(im, 0, (size_t) w->n_bins * sizeof(float));
		return;
	}
	x = samples_at(pcm, n, start, len, w->padded);
	/* the piece, its wrapped end at 0, zeros around: each float written once */
	memcpy(real, x + first, (size_t) (len - first) * sizeof(float));
	memset(real + (len - first), 0, (size_t) (at - (len - first)) * sizeof(float));
	memcpy(real + at, x, (size_t) first * sizeof(float));
	memset(real + at + first, 0, (size_t) (N - at - first) * sizeof(float));
	ser_real_fft_forward(w->fft, re, im);
}

/*
 * conj(A_j) (A_j + ... + A_{j+D}) into product_re, product_im, four bins at
 * a time, the segment's sum in registers: blocks[0..D] hold A_j..A_{j+D}.
 */
static inline __attribute__((always_inline)) void
block_product_of(size_t stride, int D, const float *const *blocks_re, const float *const *blocks_im,
				 float *restrict product_re, float *restrict product_im)
{
	for (size_t k = 0; k < stride; k += 4)
	{
		SerVec4		a_re = ser_vec4_load(blocks_re[0] + k),
					a_im = ser_vec4_load(blocks_im[0] + k);
		SerVec4		seg_re = a_re,
					seg_im = a_im;

		for (int d = 1; d <= D; d++)
		{
			seg_re += ser_vec4_load(blocks_re[d] + k);
			seg_im += ser_vec4_load(blocks_im[d] + k);
		}
		ser_vec4_store(product_re + k, a_re * seg_re + a_im * seg_im);
		ser_vec4_store(product_im + k, a_re * seg_im - a_im * seg_re);
	}
}

/* The same, the defaults' reach of two blocks unrolled. */
static void
block_product(size_t stride, int D, const float *const *blocks_re, const float *const *blocks_im,
			  float *restrict product_re, float *restrict product_im)
{
	if (D == 2)
		block_product_of(stride, 2, blocks_re, blocks_im, product_re, product_im);
	else
		block_product_of(stride, D, blocks_re, blocks_im, product_re, product_im);
}

/*
 * R_t four bins at a time in one pass, the partial sums in registers: the
 * n_products products summed, then Q with itself (when there is a Q), then
 * each of the last n_tail blocks, the last first, with the rest of the
 * frame (the running tail segment).  Per bin the operations and their order
 * are those of a pass per term.  blocks_re/im hold the frame's nb blocks;
 * with fuse_last, the last product is made here, from the blocks already
 * in registers, and stored for the frames after (block_product's
 * operations).  Inlined with constant counts where the caller knows them,
 * the loops over terms unroll.
 */
static inline __attribute__((always_inline)) void
frame_spectrum(size_t stride, int nb, int D, int n_products, bool has_q, int n_tail, bool fuse_last,
			   const float *const *blocks_re, const float *const *blocks_im,
			   float *const *product_re, float *const *product_im,
			   const float *q_re, const float *q_im,
			   float *restrict acc_re, float *restrict acc_im)
{
	for (size_t k = 0; k < stride; k += 4)
	{
		SerVec4		sum_re = {0, 0, 0, 0},
					sum_im = {0, 0, 0, 0},
					tail_re = {0, 0, 0, 0},
					tail_im = {0, 0, 0, 0};
		bool		have_sum = false;

		for (int b = 0; b < n_products; b++)
		{
			SerVec4		p_re,
						p_im;

			if (fuse_last && b == n_products - 1)
			{
				SerVec4		a_re = ser_vec4_load(blocks_re[b] + k),
							a_im = ser_vec4_load(blocks_im[b] + k);
				SerVec4		seg_re = a_re,
							seg_im = a_im;

				for (int d = 1; d <= D; d++)
				{
					seg_re += ser_vec4_load(blocks_re[b + d] + k);
					seg_im += ser_vec4_load(blocks_im[b + d] + k);
				}
				p_re = a_re * seg_re + a_im * seg_im;
				p_im = a_re * seg_im - a_im * seg_re;
				ser_vec4_store(product_re[b] + k, p_re);
				ser_vec4_store(product_im[b] + k, p_im);
			}
			else
			{
				p_re = ser_vec4_load(product_re[b] + k);
				p_im = ser_vec4_load(product_im[b] + k);
			}
			sum_re = have_sum ? sum_re + p_re : p_re;
			sum_im = have_sum ? sum_im + p_im : p_im;
			have_sum = true;
		}
		if (has_q)
		{
			SerVec4		a_re = ser_vec4_load(q_re + k),
						a_im = ser_vec4_load(q_im + k);
			SerVec4		c_re = a_re * a_re + a_im * a_im;

			/* |A_Q|^2 is real: its imaginary part adds nothing */
			tail_re = a_re;
			tail_im = a_im;
			sum_re = have_sum ? sum_re + c_re : c_re;
			sum_im = have_sum ? sum_im : ser_vec4_splat(0.0f);
			have_sum = true;
		}
		for (int m = 1; m <= n_tail; m++)
		{
			SerVec4		a_re = ser_vec4_load(blocks_re[nb - m] + k),
						a_im = ser_vec4_load(blocks_im[nb - m] + k);
			SerVec4		c_re,
						c_im;

			tail_re = (!has_q && m == 1) ? a_re : tail_re + a_re;
			tail_im = (!has_q && m == 1) ? a_im : tail_im + a_im;
			c_re = a_re * tail_re + a_im * tail_im;
			c_im = a_re * tail_im - a_im * tail_re;
			sum_re = have_sum ? sum_re + c_re : c_re;
			sum_im = have_sum ? sum_im + c_im : c_im;
			have_sum = true;
		}
		ser_vec4_store(acc_re + k, sum_re);
		ser_vec4_store(acc_im + k, sum_im);
	}
}

/* The block method (see the top of the file) for frame t. */
static void
yin_frame_blocks(const SerFeatureParams *p, YinWork *w, const float *pcm, size_t n, int64_t t,
				 YinResult *res)
{
	int			L = w->frame_length;
	int			H = w->hop;
	int			nb = w->n_blocks;
	int			q = w->remainder;
	int			D = w->reach;
	size_t		stride = (size_t) w->bin_stride;
	int64_t		start = w->first_start + t * H;
	int			slot[64];
	const float *block_re[64];
	const float *block_im[64];
	float	   *product_re[64];
	float	   *product_im[64];
	int			n_products,
				n_tail;
	bool		fuse_last = false;
	float	   *acc_re = w->acc_re;
	float	   *acc_im = w->acc_im;
	double		energy = 0.0;
	const float *x;

	for (int b = 0; b < nb; b++)
	{
		slot[b] = block_slot(w, pcm, n, t + b);
		energy += w->slot_energy[slot[b]];
		block_re[b] = w->block_re + (size_t) slot[b] * stride;
		block_im[b] = w->block_im + (size_t) slot[b] * stride;
	}
	if (q > 0)
		energy += w->slot_head_energy[block_slot(w, pcm, n, t + nb)];
	if (quiet_frame(p, w, energy, res))
		return;

	for (int b = 0; b < nb; b++)
		if (!w->slot_spectrum[slot[b]])
		{
			piece_spectrum(w, pcm, n, start + (int64_t) b * H, H,
						   (float *) block_re[b], (float *) block_im[b]);
			w->slot_spectrum[slot[b]] = true;
		}

	/*
	 * Blocks whose whole segment lies in the frame: their products, made
	 * once per block.  The last one, new with each frame in a run of loud
	 * frames, is made while the frame's spectrum is summed.
	 */
	n_products = nb - D > 0 ? nb - D : 0;
	n_tail = D < nb ? D : nb;
	for (int b = 0; b < n_products; b++)
	{
		int			s = slot[b];

		product_re[b] = w->product_re + (size_t) s * stride;
		product_im[b] = w->product_im + (size_t) s * stride;
		if (!w->slot_product[s])
		{
			if (b == n_products - 1)
				fuse_last = true;
			else
				block_product(stride, D, block_re + b, block_im + b, product_re[b], product_im[b]);
			w->slot_product[s] = true;
		}
	}
	if (q > 0)
		piece_spectrum(w, pcm, n, start + (int64_t) nb * H, q, w->q_re, w->q_im);

	/* the defaults' shape (6 blocks, reach 2, Q) unrolled, others as they come */
	if (nb == 6 && D == 2 && q > 0 && fuse_last)
		frame_spectrum(stride, 6, 2, 4, true, 2, true, block_re, block_im, product_re, product_im,
					   w->q_re, w->q_im, acc_re, acc_im);
	else if (nb == 6 && D == 2 && q > 0)
		frame_spectrum(stride, 6, 2, 4, true, 2, false, block_re, block_im, product_re, product_im,
					   w->q_re, w->q_im, acc_re, acc_im);
	else
		frame_spectrum(stride, nb, D, n_products, q > 0, n_tail, fuse_last, block_re, block_im,
					   product_re, product_im, w->q_re, w->q_im, acc_re, acc_im);
	ser_real_fft_inverse(w->fft, acc_re, acc_im);

	x = samples_at(pcm, n, start, L, w->padded);
	yin_choose(p, w, x, w->fft->real, 1.0 / w->fft_size, energy, res);
}

void
ser_pitch_track_free(SerPitchTrack *track)
{
	ser_free(track->f0);
	ser_free(track->f0_yin);
	ser_free(track->voiced);
	ser_free(track->hnr);
	ser_free(track->jitter);
	ser_free(track->shimmer);
	memset(track, 0, sizeof(*track));
}

SerStatus
ser_pitch_track(const SerFeatureParams *p, const float *pcm, size_t n,
				SerPitchTrack *track, SerError *err)
{
	YinWork		w;
	SerStatus	status;
	size_t		T = ser_feature_frame_count(p, n);
	size_t		alloc_frames = T > 0 ? T : 1;
	float	   *amplitude;

	memset(track, 0, sizeof(*track));
	status = yin_work_init(p, &w, err);
	if (status != SER_OK)
		return status;

	track->n_frames = T;
	track->f0 = ser_calloc(alloc_frames, sizeof(float));
	track->f0_yin = ser_calloc(alloc_frames, sizeof(float));
	track->voiced = ser_calloc(alloc_frames, sizeof(float));
	track->hnr = ser_calloc(alloc_frames, sizeof(float));
	track->jitter = ser_calloc(alloc_frames, sizeof(float));
	track->shimmer = ser_calloc(alloc_frames, sizeof(float));
	if (!track->f0 || !track->f0_yin || !track->voiced || !track->hnr || !track->jitter
		|| !track->shimmer)
	{
		yin_work_free(&w);
		ser_pitch_track_free(track);
		return ser_error(err, SER_ENOMEM, "out of memory for pitch analysis");
	}
	/* Shimmer needs each voiced frame's amplitude; jitter's buffer holds it until then. */
	amplitude = track->jitter;

	for (size_t t = 0; t < T; t++)
	{
		YinResult	res;

		if (t % PITCH_INTERRUPT_EVERY == 0 && ser_interrupted())
		{
			yin_work_free(&w);
			ser_pitch_track_free(track);
			return ser_error(err, SER_ECANCELED, "canceling pitch analysis");
		}
		if (w.use_blocks)
			yin_frame_blocks(p, &w, pcm, n, (int64_t) t, &res);
		else
			yin_frame_direct(p, &w, pcm, n, w.first_start + (int64_t) t * p->hop_length, &res);
		track->f0_yin[t] = (float) res.f0;
		amplitude[t] = (float) res.frame_rms;
		if (res.interior && res.autocorr >= p->voicing_threshold)
		{
			double		r = res.autocorr;
			const double r_low = 1.0 / (1.0 + 100.0);	/* -20 dB */
			const double r_high = 10000.0 / (1.0 + 10000.0);	/* +40 dB */

			if (r < r_low)
				r = r_low;
			if (r > r_high)
				r = r_high;
			track->f0[t] = (float) res.f0;
			track->voiced[t] = 1.0f;
			track->hnr[t] = (float) (10.0 * log10(r / (1.0 - r)));
		}
	}

	/* Frame-to-frame perturbations over consecutive voiced frames (see pitch.h). */
	for (size_t t = T; t-- > 0;)
	{
		float		jitter = 0.0f;
		float		shimmer = 0.0f;

		if (t > 0 && track->voiced[t] > 0.0f && track->voiced[t - 1] > 0.0f)
		{
			double		p_now = 1.0 / track->f0[t];
			double		p_before = 1.0 / track->f0[t - 1];
			double		a_now = amplitude[t];
			double		a_before = amplitude[t - 1];

			jitter = (float) (fabs(p_now - p_before) / ((p_now + p_before) / 2.0));
			shimmer = (float) (fabs(a_now - a_before) / ((a_now + a_before) / 2.0));
		}
		/* Walking backwards, amplitude[t-1] is still intact when t is overwritten. */
		track->shimmer[t] = shimmer;
		track->jitter[t] = jitter;
	}

	yin_work_free(&w);
	return SER_OK;
}
